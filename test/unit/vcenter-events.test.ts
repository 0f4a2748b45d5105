// vCenter events as hints, on hand-written XML (Event subtypes by xsi:type, as the vSphere API
// reference describes them): migration starts become make-before-break hints, the rest journal
// lines; events without what we need are dropped, not guessed.

import { describe, expect, it } from 'vitest';
import { eventActions, readEvent } from '../../agent/sources/vcenter/events.js';
import { parseAll } from '../../agent/sources/vcenter/xml-stream.js';

const PAGE = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
<ReadNextEventsResponse xmlns="urn:vim25">
  <returnval xsi:type="VmBeingHotMigratedEvent"><key>41</key><chainId>41</chainId><createdTime>2026-11-25T03:00:00Z</createdTime><userName>svc</userName>
    <datacenter><name>DC0</name><datacenter type="Datacenter">datacenter-2</datacenter></datacenter>
    <host><name>esx-01.lab</name><host type="HostSystem">host-21</host></host>
    <vm><name>app1</name><vm type="VirtualMachine">vm-60</vm></vm>
    <fullFormattedMessage>Migrating app1 from esx-01.lab to esx-02.lab</fullFormattedMessage>
    <destHost><name>esx-02.lab</name><host type="HostSystem">host-32</host></destHost></returnval>
  <returnval xsi:type="VmMigratedEvent"><key>42</key><chainId>41</chainId><createdTime>2026-11-25T03:00:02Z</createdTime><userName>svc</userName>
    <host><name>esx-02.lab</name><host type="HostSystem">host-32</host></host>
    <vm><name>app1</name><vm type="VirtualMachine">vm-60</vm></vm>
    <fullFormattedMessage>Migration of app1 completed</fullFormattedMessage>
    <sourceHost><name>esx-01.lab</name><host type="HostSystem">host-21</host></sourceHost></returnval>
  <returnval xsi:type="VmBeingMigratedEvent"><key>43</key><chainId>43</chainId><createdTime>2026-11-25T03:00:03Z</createdTime><userName>svc</userName>
    <vm><name>db1</name><vm type="VirtualMachine">vm-61</vm></vm><fullFormattedMessage>cold migration, no destination named</fullFormattedMessage></returnval>
  <returnval xsi:type="VmFailedMigrateEvent"><key>44</key><chainId>44</chainId><createdTime>2026-11-25T03:00:04Z</createdTime><userName>svc</userName>
    <vm><name>web1</name><vm type="VirtualMachine">vm-62</vm></vm><fullFormattedMessage>failed</fullFormattedMessage></returnval>
  <returnval xsi:type="VmPoweredOffEvent"><key>45</key><chainId>45</chainId><createdTime>2026-11-25T03:00:05Z</createdTime><userName>svc</userName>
    <vm><name>web1</name><vm type="VirtualMachine">vm-62</vm></vm><fullFormattedMessage>web1 on esx-01.lab is powered off</fullFormattedMessage></returnval>
  <returnval xsi:type="VmPoweredOnEvent"><chainId>46</chainId><fullFormattedMessage>no key</fullFormattedMessage></returnval>
</ReadNextEventsResponse></soapenv:Body></soapenv:Envelope>`;

const nodes = parseAll(PAGE, (p) => p.length === 4 && p[3] === 'returnval').nodes;

describe('vCenter events', () => {
  it('reads each Event subtype by xsi:type with VM, host and destination as fact keys', () => {
    const events = nodes.map((n) => readEvent('vc1', n));
    expect(events[0]).toEqual({
      key: 41,
      type: 'VmBeingHotMigratedEvent',
      vm: 'vc1/vm-60',
      vmName: 'app1',
      host: 'vc1/host-21',
      destHost: 'vc1/host-32',
      message: 'Migrating app1 from esx-01.lab to esx-02.lab',
    });
    expect(events[1]).toMatchObject({ key: 42, type: 'VmMigratedEvent', vm: 'vc1/vm-60', host: 'vc1/host-32', destHost: null });
    expect(events[5]).toBeNull();
  });

  it('turns a start with a destination into a migration hint, a failure into its end, everything into a journal line', () => {
    const [start, done, noDest, failed, off] = nodes.slice(0, 5).map((n) => eventActions('vc1', readEvent('vc1', n)!, 1000));
    expect(start!.migration).toEqual({ vm: 'vc1/vm-60', destHost: 'vc1/host-32', at: 1000 });
    expect(start!.journal).toEqual({ at: 1000, kind: 'vm-event', port: null, vlan: null, message: 'vc1: VmBeingHotMigratedEvent app1: Migrating app1 from esx-01.lab to esx-02.lab' });
    expect(done!.migration).toBeUndefined();
    expect(noDest!.migration).toBeUndefined(); // no destHost: nothing to provision early
    expect(failed!.migrationEnded).toBe('vc1/vm-62');
    expect(off!.journal.message).toBe('vc1: VmPoweredOffEvent web1: web1 on esx-01.lab is powered off');
  });
});
