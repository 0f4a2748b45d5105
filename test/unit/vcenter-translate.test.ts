// The translator on hand-written vSphere XML (shapes from the vSphere Web Services API
// reference): every kind of fact, xsi:type polymorphism, and malformed items skipped with a
// warning instead of breaking the rest.

import { describe, expect, it } from 'vitest';
import { Mirror } from '../../agent/sources/vcenter/mirror.js';
import { pruneValues, readObjectUpdate, readObjectContent } from '../../agent/sources/vcenter/translate.js';
import { parseAll, type XNode } from '../../agent/sources/vcenter/xml-stream.js';

const ENV_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><WaitForUpdatesExResponse xmlns="urn:vim25"><returnval><version>3</version><filterSet><filter type="PropertyFilter">f-1</filter>';
const ENV_CLOSE = '</filterSet></returnval></WaitForUpdatesExResponse></soapenv:Body></soapenv:Envelope>';

function updates(objectSets: string): XNode[] {
  // parsed as the source parses: with the device pruning on
  return parseAll(ENV_OPEN + objectSets + ENV_CLOSE, (p) => p.length === 6 && p[5] === 'objectSet', pruneValues).nodes;
}

function change(name: string, val: string, op = 'assign'): string {
  return `<changeSet><name>${name}</name><op>${op}</op>${val}</changeSet>`;
}

const HOST_NETWORK = `<val xsi:type="HostNetworkInfo">
  <vswitch><name>vSwitch0</name><key>key-vim.host.VirtualSwitch-vSwitch0</key><numPorts>128</numPorts><numPortsAvailable>120</numPortsAvailable>
    <portgroup>key-vim.host.PortGroup-prod-web</portgroup><pnic>key-vim.host.PhysicalNic-vmnic0</pnic><pnic>key-vim.host.PhysicalNic-vmnic1</pnic>
    <mtu>1500</mtu><spec><numPorts>128</numPorts><bridge xsi:type="HostVirtualSwitchBondBridge"><nicDevice>vmnic0</nicDevice><nicDevice>vmnic1</nicDevice></bridge></spec></vswitch>
  <vswitch><name>vSwitch1</name><key>key-vim.host.VirtualSwitch-vSwitch1</key><numPorts>64</numPorts><numPortsAvailable>64</numPortsAvailable>
    <spec><numPorts>64</numPorts><bridge xsi:type="HostVirtualSwitchBondBridge"><nicDevice>vmnic3</nicDevice></bridge></spec></vswitch>
  <proxySwitch><dvsUuid>50 2a 7c 11-aa bb</dvsUuid><dvsName>dvs-prod</dvsName><key>key-vim.host.ProxySwitch-50</key><numPorts>512</numPorts><numPortsAvailable>500</numPortsAvailable>
    <pnic>key-vim.host.PhysicalNic-vmnic2</pnic><spec><backing xsi:type="DistributedVirtualSwitchHostMemberPnicBacking"><pnicSpec><pnicDevice>vmnic2</pnicDevice></pnicSpec></backing></spec></proxySwitch>
  <proxySwitch><dvsUuid>50 99</dvsUuid><dvsName>dvs-spec-only</dvsName><key>k2</key><numPorts>8</numPorts><numPortsAvailable>8</numPortsAvailable>
    <spec><backing xsi:type="DistributedVirtualSwitchHostMemberPnicBacking"><pnicSpec><pnicDevice>vmnic3</pnicDevice></pnicSpec></backing></spec></proxySwitch>
  <portgroup><key>key-vim.host.PortGroup-prod-web</key><vswitch>key-vim.host.VirtualSwitch-vSwitch0</vswitch>
    <spec><name>prod-web</name><vlanId>110</vlanId><vswitchName>vSwitch0</vswitchName><policy/></spec></portgroup>
  <portgroup><key>key-vim.host.PortGroup-isolated</key><vswitch>key-vim.host.VirtualSwitch-vSwitch1</vswitch>
    <spec><name>isolated</name><vlanId>4095</vlanId><vswitchName>vSwitch1</vswitchName><policy/></spec></portgroup>
  <portgroup><key>key-vim.host.PortGroup-nameless</key><spec><vlanId>7</vlanId><vswitchName>vSwitch0</vswitchName></spec></portgroup>
  <portgroup><key>key-vim.host.PortGroup-badvlan</key><spec><name>bad</name><vlanId>5000</vlanId><vswitchName>vSwitch0</vswitchName></spec></portgroup>
  <portgroup><key>key-vim.host.PortGroup-orphan</key><spec><name>orphan</name><vlanId>12</vlanId><vswitchName>vSwitchGone</vswitchName></spec></portgroup>
  <pnic><key>key-vim.host.PhysicalNic-vmnic0</key><device>vmnic0</device><pci>0000:02:00.0</pci><driver>ixgben</driver><mac>00:50:56:AA:00:01</mac></pnic>
  <pnic><key>key-vim.host.PhysicalNic-vmnic1</key><device>vmnic1</device><pci>0000:02:00.1</pci><mac>00:50:56:aa:00:02</mac></pnic>
  <pnic><key>key-vim.host.PhysicalNic-vmnic2</key><device>vmnic2</device><pci>0000:03:00.0</pci><mac>00-50-56-aa-00-03</mac></pnic>
  <pnic><key>key-vim.host.PhysicalNic-vmnic3</key><device>vmnic3</device><pci>0000:03:00.1</pci><mac>00:50:56:aa:00:04</mac></pnic>
  <pnic><key>key-vim.host.PhysicalNic-vmnic9</key><device>vmnic9</device><pci>0000:04:00.0</pci><mac>not-a-mac</mac></pnic>
  <vnic><device>vmk0</device><key>key-vim.host.VirtualNic-vmk0</key><portgroup>Management Network</portgroup>
    <spec><ip><dhcp>false</dhcp><ipAddress>192.0.2.11</ipAddress><subnetMask>255.255.255.0</subnetMask></ip><mac>00:50:56:6a:00:01</mac><mtu>1500</mtu></spec></vnic>
  <vnic><device>vmk1</device><key>key-vim.host.VirtualNic-vmk1</key><portgroup></portgroup>
    <spec><ip><dhcp>false</dhcp><ipAddress>198.51.100.11</ipAddress></ip><mac>00:50:56:6a:00:02</mac>
    <distributedVirtualPort><switchUuid>50 2a 7c 11-aa bb</switchUuid><portgroupKey>dvportgroup-40</portgroupKey><portKey>12</portKey></distributedVirtualPort></spec></vnic>
</val>`;

const VM_DEVICES = `<val xsi:type="ArrayOfVirtualDevice">
  <VirtualDevice xsi:type="VirtualLsiLogicController"><key>1000</key><deviceInfo><label>SCSI controller 0</label><summary>LSI Logic</summary></deviceInfo><busNumber>0</busNumber></VirtualDevice>
  <VirtualDevice xsi:type="VirtualDisk"><key>2000</key><backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[ds1] web01/web01.vmdk</fileName></backing><capacityInKB>1024</capacityInKB></VirtualDevice>
  <VirtualDevice xsi:type="VirtualVmxnet3"><key>4000</key><deviceInfo><label>Network adapter 1</label><summary>prod-web</summary></deviceInfo>
    <backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>prod-web</deviceName><network type="Network">network-12</network></backing>
    <connectable><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl><connected>true</connected></connectable>
    <addressType>assigned</addressType><macAddress>00:50:56:01:02:03</macAddress></VirtualDevice>
  <VirtualDevice xsi:type="VirtualE1000e"><key>4001</key>
    <backing xsi:type="VirtualEthernetCardDistributedVirtualPortBackingInfo"><port><switchUuid>50 2a 7c 11-aa bb</switchUuid><portgroupKey>dvportgroup-40</portgroupKey><portKey>7</portKey></port></backing>
    <connectable><startConnected>true</startConnected><allowGuestControl>false</allowGuestControl><connected>false</connected></connectable>
    <macAddress>00:50:56:01:02:04</macAddress></VirtualDevice>
  <VirtualDevice xsi:type="VirtualVmxnet3"><key>4002</key>
    <backing xsi:type="VirtualEthernetCardOpaqueNetworkBackingInfo"><opaqueNetworkId>nsx-1</opaqueNetworkId><opaqueNetworkType>nsx.LogicalSwitch</opaqueNetworkType></backing>
    <macAddress>00:50:56:01:02:05</macAddress></VirtualDevice>
  <VirtualDevice xsi:type="VirtualVmxnet3"><key>4003</key><macAddress>zz</macAddress></VirtualDevice>
</val>`;

const DVS_CONFIG = `<val xsi:type="VMwareDVSConfigInfo"><uuid>50 2a 7c 11-aa bb</uuid><name>dvs-prod</name><numStandalonePorts>0</numStandalonePorts><numPorts>512</numPorts>
  <uplinkPortgroup type="DistributedVirtualPortgroup">dvportgroup-39</uplinkPortgroup>
  <pvlanConfig><primaryVlanId>200</primaryVlanId><secondaryVlanId>200</secondaryVlanId><pvlanType>promiscuous</pvlanType></pvlanConfig>
  <pvlanConfig><primaryVlanId>200</primaryVlanId><secondaryVlanId>201</secondaryVlanId><pvlanType>isolated</pvlanType></pvlanConfig>
</val>`;

function dvpg(moid: string, name: string, vlan: string): string {
  return `<objectSet><kind>enter</kind><obj type="DistributedVirtualPortgroup">${moid}</obj>
    ${change('name', `<val xsi:type="xsd:string">${name}</val>`)}
    ${change('config.distributedVirtualSwitch', '<val type="VmwareDistributedVirtualSwitch" xsi:type="ManagedObjectReference">dvs-38</val>')}
    ${change('config.defaultPortConfig', `<val xsi:type="VMwareDVSPortSetting"><blocked><inherited>false</inherited><value>false</value></blocked>${vlan}</val>`)}
  </objectSet>`;
}

function sync(xml: string) {
  const warnings: string[] = [];
  const m = new Mirror('vc1', (msg) => warnings.push(msg));
  for (const n of updates(xml)) {
    const ch = readObjectUpdate(n, (msg) => warnings.push(msg));
    if (ch) m.apply(ch);
  }
  return { m, warnings };
}

const FULL = `
  <objectSet><kind>enter</kind><obj type="HostSystem">host-10</obj>
    ${change('name', '<val xsi:type="xsd:string">esx-01.lab.example</val>')}
    ${change('config.network', HOST_NETWORK)}
    ${change('runtime.connectionState', '<val xsi:type="HostSystemConnectionState">connected</val>')}
  </objectSet>
  <objectSet><kind>enter</kind><obj type="VirtualMachine">vm-100</obj>
    ${change('name', '<val xsi:type="xsd:string">web01</val>')}
    ${change('config.instanceUuid', '<val xsi:type="xsd:string">5012abcd-0000-1111-2222-333344445555</val>')}
    ${change('config.template', '<val xsi:type="xsd:boolean">false</val>')}
    ${change('runtime.powerState', '<val xsi:type="VirtualMachinePowerState">poweredOn</val>')}
    ${change('runtime.host', '<val type="HostSystem" xsi:type="ManagedObjectReference">host-10</val>')}
    ${change('config.hardware.device', VM_DEVICES)}
  </objectSet>
  <objectSet><kind>enter</kind><obj type="Network">network-12</obj>${change('name', '<val xsi:type="xsd:string">prod-web</val>')}</objectSet>
  <objectSet><kind>enter</kind><obj type="OpaqueNetwork">network-o1</obj>${change('name', '<val xsi:type="xsd:string">nsx-seg</val>')}</objectSet>
  ${dvpg('dvportgroup-40', 'dvpg-db', '<vlan xsi:type="VmwareDistributedVirtualSwitchVlanIdSpec"><inherited>false</inherited><vlanId>120</vlanId></vlan>')}
  ${dvpg('dvportgroup-41', 'dvpg-trunk', '<vlan xsi:type="VmwareDistributedVirtualSwitchTrunkVlanSpec"><inherited>false</inherited><vlanId><start>300</start><end>310</end></vlanId><vlanId><start>400</start><end>400</end></vlanId><vlanId><start>9</start><end>2</end></vlanId></vlan>')}
  ${dvpg('dvportgroup-42', 'dvpg-pvlan', '<vlan xsi:type="VmwareDistributedVirtualSwitchPvlanSpec"><inherited>false</inherited><pvlanId>201</pvlanId></vlan>')}
  ${dvpg('dvportgroup-43', 'dvpg-pvlan-unknown', '<vlan xsi:type="VmwareDistributedVirtualSwitchPvlanSpec"><inherited>false</inherited><pvlanId>333</pvlanId></vlan>')}
  ${dvpg('dvportgroup-39', 'dvs-prod-DVUplinks', '<vlan xsi:type="VmwareDistributedVirtualSwitchTrunkVlanSpec"><inherited>false</inherited><vlanId><start>0</start><end>4094</end></vlanId></vlan>')}
  <objectSet><kind>enter</kind><obj type="VmwareDistributedVirtualSwitch">dvs-38</obj>${change('config', DVS_CONFIG)}</objectSet>
`;

describe('vCenter translator', () => {
  it('turns a host\'s network config into pNICs, per-host portgroups with uplinks, DVS memberships and vmknics', () => {
    const { m, warnings } = sync(FULL);
    const inv = m.inventory();
    expect(inv.hosts).toHaveLength(1);
    const h = inv.hosts[0]!;
    expect(h).toMatchObject({ key: 'vc1/host-10', vcenter: 'vc1', moid: 'host-10', name: 'esx-01.lab.example', connectionState: 'connected' });
    expect(h.pnics).toEqual([
      { device: 'vmnic0', mac: '00:50:56:aa:00:01' },
      { device: 'vmnic1', mac: '00:50:56:aa:00:02' },
      { device: 'vmnic2', mac: '00:50:56:aa:00:03' },
      { device: 'vmnic3', mac: '00:50:56:aa:00:04' },
    ]);
    expect(h.portgroups).toEqual([
      { name: 'prod-web', vlan: { kind: 'vlan', vlan: 110 }, uplinks: ['vmnic0', 'vmnic1'] },
      // no runtime pnic list: uplinks from the bridge spec
      { name: 'isolated', vlan: { kind: 'vlan', vlan: 4095 }, uplinks: ['vmnic3'] },
      // vSwitch unknown: uplinks unknown (rule 1 falls back to all portgroups)
      { name: 'orphan', vlan: { kind: 'vlan', vlan: 12 }, uplinks: null },
    ]);
    expect(h.dvs).toEqual([
      { dvs: '50 2a 7c 11-aa bb', uplinks: ['vmnic2'] },
      { dvs: '50 99', uplinks: ['vmnic3'] },
    ]);
    expect(h.vmknics).toEqual([
      { device: 'vmk0', portgroup: 'Management Network', ip: '192.0.2.11', mac: '00:50:56:6a:00:01' },
      { device: 'vmk1', portgroup: 'vc1/dvportgroup-40', ip: '198.51.100.11', mac: '00:50:56:6a:00:02' },
    ]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'skipping physical NIC without device or MAC',
        'skipping standard portgroup without name or valid VLAN',
        'skipping malformed VLAN trunk range',
        'skipping virtual NIC without key or valid MAC',
        'private VLAN not in the DVS PVLAN map',
      ]),
    );
  });

  it('reads VMs with their Ethernet cards whatever the card and backing type', () => {
    const { m } = sync(FULL);
    const vm = m.inventory().vms[0]!;
    expect(vm).toEqual({
      key: 'vc1/vm-100',
      vcenter: 'vc1',
      moid: 'vm-100',
      name: 'web01',
      uuid: '5012abcd-0000-1111-2222-333344445555',
      powerState: 'poweredOn',
      template: false,
      host: 'vc1/host-10',
      vnics: [
        { key: 4000, mac: '00:50:56:01:02:03', network: 'vc1/network-12', connected: true },
        { key: 4001, mac: '00:50:56:01:02:04', network: 'vc1/dvportgroup-40', connected: false },
        { key: 4002, mac: '00:50:56:01:02:05', network: null, connected: true },
      ],
    });
  });

  it('reads standard, opaque and distributed networks: VLAN id, trunk ranges, PVLAN via the DVS map, uplink flag', () => {
    const { m } = sync(FULL);
    const nets = new Map(m.inventory().networks.map((n) => [n.moid, n]));
    expect(nets.get('network-12')).toEqual({ key: 'vc1/network-12', vcenter: 'vc1', moid: 'network-12', name: 'prod-web', kind: 'standard', vlan: null, dvs: null });
    expect(nets.get('network-o1')).toMatchObject({ kind: 'opaque', vlan: { kind: 'none' } });
    const dvsUuid = '50 2a 7c 11-aa bb';
    expect(nets.get('dvportgroup-40')).toEqual({
      key: 'vc1/dvportgroup-40', vcenter: 'vc1', moid: 'dvportgroup-40', name: 'dvpg-db', kind: 'distributed',
      vlan: { kind: 'vlan', vlan: 120 }, dvs: dvsUuid, uplink: false,
    });
    expect(nets.get('dvportgroup-41')!.vlan).toEqual({ kind: 'trunk', ranges: [{ from: 300, to: 310 }, { from: 400, to: 400 }] });
    expect(nets.get('dvportgroup-42')!.vlan).toEqual({ kind: 'pvlan', primary: 200, secondary: 201 });
    expect(nets.get('dvportgroup-43')!.vlan).toEqual({ kind: 'none' });
    expect(nets.get('dvportgroup-39')).toMatchObject({ uplink: true, dvs: dvsUuid });
  });

  it('applies modify/leave as upserts and removals, and a DVS change re-derives its portgroups', () => {
    const { m } = sync(FULL);
    m.takeDelta();
    for (const n of updates(`
      <objectSet><kind>modify</kind><obj type="VirtualMachine">vm-100</obj>
        ${change('runtime.host', '<val type="HostSystem" xsi:type="ManagedObjectReference">host-11</val>')}
        ${change('runtime.powerState', '<val xsi:type="VirtualMachinePowerState">poweredOff</val>')}</objectSet>
      <objectSet><kind>leave</kind><obj type="Network">network-12</obj></objectSet>
      <objectSet><kind>modify</kind><obj type="VmwareDistributedVirtualSwitch">dvs-38</obj>${change('config', DVS_CONFIG.replace('<uplinkPortgroup type="DistributedVirtualPortgroup">dvportgroup-39</uplinkPortgroup>', ''))}</objectSet>
    `)) {
      const ch = readObjectUpdate(n, () => {});
      if (ch) m.apply(ch);
    }
    const d = m.takeDelta();
    expect(d.vms).toHaveLength(1);
    expect(d.vms[0]).toMatchObject({ host: 'vc1/host-11', powerState: 'poweredOff', name: 'web01' });
    expect(d.removedNetworks).toEqual(['vc1/network-12']);
    expect(d.networks.map((n) => n.moid).sort()).toEqual(['dvportgroup-39', 'dvportgroup-40', 'dvportgroup-41', 'dvportgroup-42', 'dvportgroup-43']);
    expect(d.networks.find((n) => n.moid === 'dvportgroup-39')!.uplink).toBe(false);
    expect(m.takeDelta()).toEqual({ hosts: [], networks: [], vms: [], removedHosts: [], removedNetworks: [], removedVms: [] });
  });

  it('skips malformed object updates and unknown types with a warning, keeping the rest', () => {
    const { m, warnings } = sync(`
      <objectSet><kind>sideways</kind><obj type="VirtualMachine">vm-1</obj></objectSet>
      <objectSet><kind>enter</kind><obj>vm-2</obj></objectSet>
      <objectSet><kind>enter</kind><obj type="Datastore">datastore-1</obj>${change('name', '<val>ds</val>')}</objectSet>
      <objectSet><kind>enter</kind><obj type="VirtualMachine">vm-3</obj>
        ${change('name', '<val>ok</val>')}${change('runtime.powerState', '<val>exploded</val>')}</objectSet>
      <objectSet><kind>enter</kind><obj type="VirtualMachine">vm-4</obj>
        ${change('name', '<val>fine</val>')}${change('runtime.powerState', '<val>suspended</val>')}${change('config.template', '<val>true</val>')}</objectSet>
    `);
    const inv = m.inventory();
    // vm-3 has no usable power state yet: not a fact until it has one
    expect(inv.vms.map((v) => [v.moid, v.powerState, v.template])).toEqual([['vm-4', 'suspended', true]]);
    expect(warnings).toEqual(
      expect.arrayContaining(['skipping malformed ObjectUpdate', 'ignoring update for an unexpected managed object type', 'ignoring unknown VM power state']),
    );
  });

  it('prunes what it does not read from device lists while parsing (disks, labels, controllers)', () => {
    const vm = updates(FULL).find((n) => n.children.some((c) => c.attrs.type === 'VirtualMachine'))!;
    const devices = vm.children.find((c) => c.name === 'changeSet' && c.children.some((x) => x.text === 'config.hardware.device'))!.children.find((c) => c.name === 'val')!;
    expect(devices.children).toHaveLength(6);
    const names = new Set<string>();
    const walk = (n: XNode) => {
      names.add(n.name);
      n.children.forEach(walk);
    };
    devices.children.forEach(walk);
    expect([...names].sort()).toEqual(['VirtualDevice', 'backing', 'connectable', 'connected', 'key', 'macAddress', 'network', 'port', 'portgroupKey', 'portKey', 'switchUuid', 'opaqueNetworkId', 'deviceName'].sort());
    // host networking keeps what readHostNetwork reads, not the rest (PCI ids, drivers, policies)
    const host = JSON.stringify(updates(FULL)[0]!);
    expect(host).toContain('nicDevice');
    expect(host).toContain('pnicDevice');
    expect(host).toContain('192.0.2.11');
    expect(host).not.toContain('0000:02:00.0');
    expect(host).not.toContain('ixgben');
    expect(host).not.toContain('subnetMask');
  });

  it('reads RetrievePropertiesEx ObjectContent like an enter', () => {
    const xml = `<?xml version="1.0"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><S:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval>
      <objects><obj type="HostSystem">host-7</obj><propSet><name>name</name><val xsi:type="xsd:string">esx-07</val></propSet></objects></returnval></RetrievePropertiesExResponse></S:Body></S:Envelope>`;
    const { nodes } = parseAll(xml, (p) => p.length === 5 && p[4] === 'objects');
    const m = new Mirror('vc2', () => {});
    m.apply(readObjectContent(nodes[0]!, () => {})!);
    expect(m.inventory().hosts[0]).toMatchObject({ key: 'vc2/host-7', name: 'esx-07', pnics: [], portgroups: [] });
  });
});
