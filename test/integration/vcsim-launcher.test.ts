// The vCenter test peer itself (test/peers/vcsim via test/helpers/vcsim.ts), checked over plain
// HTTPS SOAP from node — independent of agent/sources/vcenter: TLS with the printed
// thumbprint, per-host VLANs in HostSystem.config.network, vMotion events around relocate,
// HostSystem.vm seen by a watcher, sessions listed and killed, freeze, restart.

import { request } from 'node:https';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVcsim, type Vcsim } from '../helpers/vcsim.js';

// ---------------------------------------------------------------------------------------------
// A bare SOAP client: enough vim25 to check what the simulator serves.

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

function parseXml(xml: string): Node {
  const parser = new SaxesParser();
  const root: Node = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: Node[] = [root];
  parser.on('opentag', (tag) => {
    const node: Node = { name: tag.name.replace(/^.*:/, ''), attrs: tag.attributes as Record<string, string>, children: [], text: '' };
    stack[stack.length - 1]!.children.push(node);
    stack.push(node);
  });
  parser.on('text', (t) => {
    stack[stack.length - 1]!.text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.write(xml).close();
  return root;
}

const kids = (n: Node | undefined, name: string): Node[] => (n ? n.children.filter((c) => c.name === name) : []);
const kid = (n: Node | undefined, name: string): Node | undefined => kids(n, name)[0];
function find(n: Node, name: string): Node | undefined {
  if (n.name === name) return n;
  for (const c of n.children) {
    const f = find(c, name);
    if (f) return f;
  }
  return undefined;
}

interface SoapReply {
  status: number;
  body: Node;
  fingerprint: string;
  cookie: string | null;
}

class Soap {
  cookie: string | null = null;
  constructor(private readonly url: string) {}

  call(method: string, inner: string, timeoutMs = 10_000): Promise<SoapReply> {
    const env =
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>' +
      `<${method} xmlns="urn:vim25">${inner}</${method}></soapenv:Body></soapenv:Envelope>`;
    const u = new URL(this.url);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          // The certificate is pinned by thumbprint below, as the product does.
          rejectUnauthorized: false,
          agent: false,
          timeout: timeoutMs,
          headers: {
            'content-type': 'text/xml; charset=utf-8',
            soapaction: 'urn:vim25/8.0',
            ...(this.cookie ? { cookie: this.cookie } : {}),
          },
        },
        (res) => {
          const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const setCookie = res.headers['set-cookie']?.find((c) => c.startsWith('vmware_soap_session='));
            const cookie = setCookie ? setCookie.split(';')[0]! : null;
            resolve({ status: res.statusCode ?? 0, body: parseXml(Buffer.concat(chunks).toString()), fingerprint, cookie });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(env);
    });
  }

  /** the fault's detail type (e.g. InvalidLogin) or null */
  static fault(r: SoapReply): string | null {
    const detail = find(r.body, 'detail');
    const f = detail?.children[0];
    return f ? (f.attrs['xsi:type'] ?? f.name).replace(/Fault$/, '') : null;
  }
}

const mor = (type: string, value: string, tag = '_this') => `<${tag} type="${type}">${value}</${tag}>`;

interface Content {
  rootFolder: string;
  propertyCollector: string;
  viewManager: string;
  sessionManager: string;
  eventManager: string;
}

async function serviceContent(s: Soap): Promise<{ content: Content; fingerprint: string; apiType: string }> {
  const r = await s.call('RetrieveServiceContent', mor('ServiceInstance', 'ServiceInstance'));
  const rv = find(r.body, 'returnval')!;
  const text = (name: string) => kid(rv, name)!.text;
  return {
    content: {
      rootFolder: text('rootFolder'),
      propertyCollector: text('propertyCollector'),
      viewManager: text('viewManager'),
      sessionManager: text('sessionManager'),
      eventManager: text('eventManager'),
    },
    fingerprint: r.fingerprint,
    apiType: kid(kid(rv, 'about'), 'apiType')!.text,
  };
}

async function login(s: Soap, c: Content, user: string, password: string): Promise<SoapReply> {
  const r = await s.call(
    'Login',
    mor('SessionManager', c.sessionManager) + `<userName>${user}</userName><password>${password}</password>`,
  );
  if (r.cookie) s.cookie = r.cookie;
  return r;
}

async function containerView(s: Soap, c: Content, ...types: string[]): Promise<string> {
  const r = await s.call(
    'CreateContainerView',
    mor('ViewManager', c.viewManager) +
      mor('Folder', c.rootFolder, 'container') +
      types.map((t) => `<type>${t}</type>`).join('') +
      '<recursive>true</recursive>',
  );
  return find(r.body, 'returnval')!.text;
}

function filterSpec(view: string, props: Record<string, string[]>): string {
  const propSet = Object.entries(props)
    .map(([type, paths]) => `<propSet><type>${type}</type>${paths.map((p) => `<pathSet>${p}</pathSet>`).join('')}</propSet>`)
    .join('');
  return (
    `${propSet}<objectSet>${mor('ContainerView', view, 'obj')}<skip>true</skip>` +
    '<selectSet xsi:type="TraversalSpec"><type>ContainerView</type><path>view</path></selectSet></objectSet>'
  );
}

/** RetrievePropertiesEx over a ContainerView: moid -> property name -> value node */
async function retrieve(s: Soap, c: Content, view: string, props: Record<string, string[]>): Promise<Map<string, Map<string, Node>>> {
  const r = await s.call(
    'RetrievePropertiesEx',
    mor('PropertyCollector', c.propertyCollector) + `<specSet>${filterSpec(view, props)}</specSet><options></options>`,
  );
  const out = new Map<string, Map<string, Node>>();
  for (const obj of kids(find(r.body, 'returnval'), 'objects')) {
    const props = new Map<string, Node>();
    for (const p of kids(obj, 'propSet')) props.set(kid(p, 'name')!.text, kid(p, 'val')!);
    out.set(kid(obj, 'obj')!.text, props);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

// Both WaitForUpdatesEx implementations must show clients the same thing.
describe.each(['simulator', 'incremental'] as const)('vcsim launcher (%s collector)', (collector) => {
  let vc: Vcsim;

  beforeAll(async () => {
    vc = await startVcsim({
      collector,
      hostCount: 3,
      portgroups: [
        { name: 'web', vlan: 100 },
        { name: 'db', vlan: 200 },
      ],
      hosts: [{ name: 'esx-00.lab', portgroups: [{ name: 'web', vlan: 101 }] }],
      switches: [
        {
          name: 'DSwitch',
          portgroups: [
            { name: 'dv-app', vlan: 300 },
            { name: 'dv-trunk', trunk: [[400, 410]] },
          ],
        },
      ],
      vms: [{ name: 'app1', host: 'esx-00.lab', nics: [{ network: 'web' }, { network: 'dv-app' }] }],
      vmCount: 4,
    });
  });

  afterAll(async () => {
    await vc?.stop();
  });

  it('serves TLS with the printed SHA-256 thumbprint and accepts only its credentials', async () => {
    expect(vc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(vc.thumbprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const s = new Soap(vc.url);
    const sc = await serviceContent(s);
    expect(sc.fingerprint).toBe(vc.thumbprint);
    expect(sc.apiType).toBe('VirtualCenter');

    const bad = await login(new Soap(vc.url), sc.content, vc.username, 'wrong');
    expect(bad.status).toBe(500);
    expect(Soap.fault(bad)).toBe('InvalidLogin');
    const ok = await login(s, sc.content, vc.username, vc.password);
    expect(ok.status).toBe(200);
    expect(s.cookie).toMatch(/^vmware_soap_session=/);
  });

  it('shows per-host standard portgroup VLANs and distributed VLAN specs, equal to the dump', async () => {
    const s = new Soap(vc.url);
    const { content } = await serviceContent(s);
    await login(s, content, vc.username, vc.password);
    const hosts = await retrieve(s, content, await containerView(s, content, 'HostSystem'), {
      HostSystem: ['name', 'config.network.portgroup', 'config.network.pnic'],
    });
    const dump = await vc.control.dump();
    expect(hosts.size).toBe(4);
    for (const h of dump.hosts) {
      const props = hosts.get(h.moid)!;
      expect(props.get('name')!.text).toBe(h.name);
      const pgs = kids(props.get('config.network.portgroup'), 'HostPortGroup').map((pg) => {
        const spec = kid(pg, 'spec')!;
        return { name: kid(spec, 'name')!.text, vlan: Number(kid(spec, 'vlanId')!.text) };
      });
      expect(pgs).toEqual(h.portgroups.map((p) => ({ name: p.name, vlan: p.vlan.kind === 'vlan' ? p.vlan.vlan : -1 })));
      const macs = kids(props.get('config.network.pnic'), 'PhysicalNic').map((n) => kid(n, 'mac')!.text);
      expect(macs).toEqual(h.pnics.map((p) => p.mac));
    }
    const web = (name: string) => dump.hosts.find((h) => h.name === name)!.portgroups.find((p) => p.name === 'web')!.vlan;
    expect(web('esx-00.lab')).toEqual({ kind: 'vlan', vlan: 101 });
    expect(web('esx-02.lab')).toEqual({ kind: 'vlan', vlan: 100 });
    // Every host has its own pNIC MACs.
    expect(new Set(dump.hosts.flatMap((h) => h.pnics.map((p) => p.mac))).size).toBe(8);

    const pgs = await retrieve(s, content, await containerView(s, content, 'DistributedVirtualPortgroup'), {
      DistributedVirtualPortgroup: ['name', 'config.defaultPortConfig'],
    });
    const byName = new Map([...pgs.values()].map((p) => [p.get('name')!.text, p.get('config.defaultPortConfig')!]));
    const vlanOf = (name: string) => kid(byName.get(name), 'vlan')!;
    expect(vlanOf('dv-app').attrs['xsi:type']).toBe('VmwareDistributedVirtualSwitchVlanIdSpec');
    expect(kid(vlanOf('dv-app'), 'vlanId')!.text).toBe('300');
    expect(vlanOf('dv-trunk').attrs['xsi:type']).toBe('VmwareDistributedVirtualSwitchTrunkVlanSpec');
    const range = kid(vlanOf('dv-trunk'), 'vlanId')!;
    expect([kid(range, 'start')!.text, kid(range, 'end')!.text]).toEqual(['400', '410']);
  });

  it('relocate: start event before, end event after, runtime.host and both HostSystem.vm seen by a watcher', async () => {
    const s = new Soap(vc.url);
    const { content } = await serviceContent(s);
    await login(s, content, vc.username, vc.password);
    const before = await vc.control.dump();
    const app = before.vms.find((v) => v.name === 'app1')!;
    const src = before.hosts.find((h) => h.moid === app.host)!;
    const dst = before.hosts.find((h) => h.name === 'esx-02.lab')!;
    expect(src.vms).toContain(app.moid);

    // A watcher on VM runtime.host and HostSystem.vm, as the agent's collector would be.
    const view = await containerView(s, content, 'VirtualMachine', 'HostSystem');
    const pc = find(
      (await s.call('CreatePropertyCollector', mor('PropertyCollector', content.propertyCollector))).body,
      'returnval',
    )!.text;
    await s.call(
      'CreateFilter',
      mor('PropertyCollector', pc) +
        `<spec>${filterSpec(view, { VirtualMachine: ['runtime.host'], HostSystem: ['vm'] })}</spec><partialUpdates>false</partialUpdates>`,
    );
    const wait = async (version: string) => {
      const r = await s.call(
        'WaitForUpdatesEx',
        mor('PropertyCollector', pc) + `<version>${version}</version><options><maxWaitSeconds>5</maxWaitSeconds></options>`,
      );
      return find(r.body, 'returnval');
    };
    const first = await wait('');
    const version = kid(first, 'version')!.text;

    const moved = await vc.control.relocate('app1', 'esx-02.lab');
    expect(moved).toMatchObject({ vm: app.moid, from: src.moid, to: dst.moid });
    expect(moved.movedAt).toBeGreaterThanOrEqual(moved.startedAt);

    const changes = new Map<string, Node>();
    let v = version;
    const deadline = Date.now() + 5000;
    while (changes.size < 3 && Date.now() < deadline) {
      const upd = await wait(v);
      if (!upd) continue;
      v = kid(upd, 'version')!.text;
      for (const fs of kids(upd, 'filterSet'))
        for (const os of kids(fs, 'objectSet'))
          for (const cs of kids(os, 'changeSet')) changes.set(`${kid(os, 'obj')!.text}/${kid(cs, 'name')!.text}`, cs);
    }
    expect(kid(changes.get(`${app.moid}/runtime.host`), 'val')?.text).toBe(dst.moid);
    const vmsOf = (host: string) => kids(kid(changes.get(`${host}/vm`), 'val'), 'ManagedObjectReference').map((n) => n.text);
    expect(vmsOf(dst.moid)).toContain(app.moid);
    expect(vmsOf(src.moid)).not.toContain(app.moid);
    await s.call('DestroyPropertyCollector', mor('PropertyCollector', pc));

    const r = await s.call(
      'QueryEvents',
      mor('EventManager', content.eventManager) +
        `<filter><entity>${mor('VirtualMachine', app.moid, 'entity')}<recursion>self</recursion></entity></filter>`,
    );
    const events = kids(find(r.body, 'QueryEventsResponse'), 'returnval');
    const migration = events
      .map((e) => ({ type: e.attrs['xsi:type'], key: Number(kid(e, 'key')!.text), e }))
      .filter((e) => e.type === 'VmBeingHotMigratedEvent' || e.type === 'VmMigratedEvent')
      .sort((a, b) => a.key - b.key);
    expect(migration.map((m) => m.type)).toEqual(['VmBeingHotMigratedEvent', 'VmMigratedEvent']);
    expect(kid(kid(migration[0]!.e, 'destHost'), 'host')!.text).toBe(dst.moid);
    expect(kid(kid(migration[1]!.e, 'sourceHost'), 'host')!.text).toBe(src.moid);
    expect(kid(kid(migration[1]!.e, 'host'), 'host')!.text).toBe(dst.moid);

    // An arbitrary event, arguments filled by name (the simulator formats its message).
    await vc.control.postEvent({ type: 'VmPoweredOffEvent', vm: 'app1' });
    await expect(vc.control.postEvent({ type: 'NoSuchEvent' })).rejects.toThrow(/unknown type/);
    const all = kids(
      find(
        (
          await s.call(
            'QueryEvents',
            mor('EventManager', content.eventManager) +
              `<filter><entity>${mor('VirtualMachine', app.moid, 'entity')}<recursion>self</recursion></entity></filter>`,
          )
        ).body,
        'QueryEventsResponse',
      ),
      'returnval',
    ).sort((a, b) => Number(kid(b, 'key')!.text) - Number(kid(a, 'key')!.text));
    expect(all[0]!.attrs['xsi:type']).toBe('VmPoweredOffEvent');
    expect(kid(kid(all[0], 'host'), 'host')!.text).toBe(dst.moid);
    expect(kid(kid(all[0], 'vm'), 'vm')!.text).toBe(app.moid);

    const after = await vc.control.dump();
    expect(after.vms.find((x) => x.name === 'app1')!.host).toBe(dst.moid);
    expect(after.hosts.find((h) => h.moid === src.moid)!.vms).not.toContain(app.moid);
    expect(after.hosts.find((h) => h.moid === dst.moid)!.vms).toContain(app.moid);
  });

  it('watchers see VLAN changes, create/destroy and a delayed move after its start event (make-before-break)', async () => {
    const s = new Soap(vc.url);
    const { content } = await serviceContent(s);
    await login(s, content, vc.username, vc.password);
    const view = await containerView(s, content, 'VirtualMachine', 'HostSystem', 'DistributedVirtualPortgroup');
    const pc = find((await s.call('CreatePropertyCollector', mor('PropertyCollector', content.propertyCollector))).body, 'returnval')!.text;
    // Parent paths on purpose: the launcher emits leaves, a parent watcher must still match.
    await s.call(
      'CreateFilter',
      mor('PropertyCollector', pc) +
        `<spec>${filterSpec(view, {
          VirtualMachine: ['runtime.host'],
          HostSystem: ['config.network', 'vm', 'runtime.connectionState'],
          DistributedVirtualPortgroup: ['config.defaultPortConfig'],
        })}</spec><partialUpdates>false</partialUpdates>`,
    );
    let version = '';
    const next = async (want: (changes: Map<string, Node>) => boolean): Promise<Map<string, Node>> => {
      const seen = new Map<string, Node>();
      const deadline = Date.now() + 5000;
      do {
        const r = await s.call(
          'WaitForUpdatesEx',
          mor('PropertyCollector', pc) + `<version>${version}</version><options><maxWaitSeconds>1</maxWaitSeconds></options>`,
        );
        const upd = find(r.body, 'returnval');
        if (!upd) continue;
        version = kid(upd, 'version')!.text;
        for (const fs of kids(upd, 'filterSet'))
          for (const os of kids(fs, 'objectSet'))
            for (const cs of kids(os, 'changeSet')) seen.set(`${kid(os, 'obj')!.text}/${kid(cs, 'name')!.text}`, kid(cs, 'val')!);
      } while (!want(seen) && Date.now() < deadline);
      return seen;
    };
    await next(() => true); // initial state
    const dump = await vc.control.dump();
    const h0 = dump.hosts.find((h) => h.name === 'esx-00.lab')!;
    const dvApp = dump.networks.find((n) => n.name === 'dv-app')!;

    await vc.control.setVlan({ portgroup: 'db', hosts: ['esx-00.lab'], vlan: 250 });
    await vc.control.setVlan({ portgroup: 'dv-app', trunk: [[1, 5]] });
    const vlans = await next((c) => c.has(`${h0.moid}/config.network`) && c.has(`${dvApp.moid}/config.defaultPortConfig`));
    const db = kids(kid(vlans.get(`${h0.moid}/config.network`), 'portgroup'), 'portgroup')
      .concat(kids(vlans.get(`${h0.moid}/config.network`), 'portgroup'))
      .map((pg) => kid(pg, 'spec'))
      .find((spec) => kid(spec, 'name')?.text === 'db');
    expect(kid(db, 'vlanId')!.text).toBe('250');
    const trunk = kid(vlans.get(`${dvApp.moid}/config.defaultPortConfig`), 'vlan')!;
    expect(trunk.attrs['xsi:type']).toBe('VmwareDistributedVirtualSwitchTrunkVlanSpec');
    expect((await vc.control.dump()).hosts.find((h) => h.moid === h0.moid)!.portgroups.find((p) => p.name === 'db')!.vlan).toEqual({
      kind: 'vlan',
      vlan: 250,
    });

    await vc.control.hostState('esx-00.lab', { connectionState: 'disconnected' });
    const state = await next((c) => c.get(`${h0.moid}/runtime.connectionState`)?.text === 'disconnected');
    expect(state.get(`${h0.moid}/runtime.connectionState`)!.text).toBe('disconnected');
    expect((await vc.control.dump()).hosts.find((h) => h.moid === h0.moid)!.connectionState).toBe('disconnected');
    await vc.control.hostState('esx-00.lab', { connectionState: 'connected' });
    await next((c) => c.get(`${h0.moid}/runtime.connectionState`)?.text === 'connected');

    const created = await vc.control.createVm({ name: 'tmp1', host: 'esx-00.lab', nics: [{ network: 'db' }] });
    const hostVms = (c: Map<string, Node>) => kids(c.get(`${h0.moid}/vm`), 'ManagedObjectReference').map((n) => n.text);
    expect(hostVms(await next((c) => hostVms(c).includes(created.moid)))).toContain(created.moid);
    await vc.control.destroyVm('tmp1');
    expect(hostVms(await next((c) => c.has(`${h0.moid}/vm`) && !hostVms(c).includes(created.moid)))).not.toContain(created.moid);

    // startOnly: the start event is there at once, the host changes only delayMs later.
    const vm = (await vc.control.dump()).vms.find((v) => v.name === 'vm-00002')!;
    const target = dump.hosts.find((h) => h.moid !== vm.host)!;
    const t0 = Date.now();
    const started = await vc.control.relocate('vm-00002', target.name, { startOnly: true, delayMs: 1500 });
    expect(started.movedAt).toBeUndefined();
    const events = kids(
      find(
        (
          await s.call(
            'QueryEvents',
            mor('EventManager', content.eventManager) +
              `<filter><entity>${mor('VirtualMachine', vm.moid, 'entity')}<recursion>self</recursion></entity></filter>`,
          )
        ).body,
        'QueryEventsResponse',
      ),
      'returnval',
    ).map((e) => e.attrs['xsi:type']);
    expect(events).toContain('VmBeingHotMigratedEvent');
    expect(events).not.toContain('VmMigratedEvent');
    expect((await vc.control.dump()).vms.find((v) => v.moid === vm.moid)!.host).toBe(vm.host);
    const moved = await next((c) => c.has(`${vm.moid}/runtime.host`));
    expect(moved.get(`${vm.moid}/runtime.host`)!.text).toBe(target.moid);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    await s.call('DestroyPropertyCollector', mor('PropertyCollector', pc));
  });

  it('lists sessions by user, logs out, and kills sessions so the next call is NotAuthenticated', async () => {
    const start = (await vc.control.sessions()).byUser[vc.username] ?? 0;
    const a = new Soap(vc.url);
    const b = new Soap(vc.url);
    const { content } = await serviceContent(a);
    await login(a, content, vc.username, vc.password);
    await login(b, content, vc.username, vc.password);
    expect((await vc.control.sessions()).byUser[vc.username]).toBe(start + 2);
    await b.call('Logout', mor('SessionManager', content.sessionManager));
    expect((await vc.control.sessions()).byUser[vc.username]).toBe(start + 1);

    const killed = await vc.control.killSessions();
    expect(killed.terminated).toBeGreaterThanOrEqual(1);
    expect((await vc.control.sessions()).sessions).toEqual([]);
    const r = await a.call('CreateContainerView', mor('ViewManager', content.viewManager) + mor('Folder', content.rootFolder, 'container') + '<type>HostSystem</type><recursive>true</recursive>');
    expect(Soap.fault(r)).toBe('NotAuthenticated');
  });

  it('freeze: the SOAP port accepts but never answers until unfrozen', async () => {
    await vc.control.freeze(true);
    try {
      await expect(new Soap(vc.url).call('RetrieveServiceContent', mor('ServiceInstance', 'ServiceInstance'), 700)).rejects.toThrow(
        'timeout',
      );
    } finally {
      await vc.control.freeze(false);
    }
    expect((await serviceContent(new Soap(vc.url))).apiType).toBe('VirtualCenter');
  });

  it('outage: port closed while down; back with the inventory as it was and every session gone', async () => {
    const s = new Soap(vc.url);
    const { content } = await serviceContent(s);
    await login(s, content, vc.username, vc.password);
    await vc.control.relocate('app1', 'esx-03.lab');
    const before = await vc.control.dump();
    await vc.control.outage(true);
    try {
      await expect(serviceContent(new Soap(vc.url))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await vc.control.outage(false);
    }
    const r = await s.call('CreateContainerView', mor('ViewManager', content.viewManager) + mor('Folder', content.rootFolder, 'container') + '<type>HostSystem</type><recursive>true</recursive>');
    expect(Soap.fault(r)).toBe('NotAuthenticated');
    expect((await login(s, content, vc.username, vc.password)).status).toBe(200);
    expect(await vc.control.dump()).toEqual(before);
  });

  it('restart comes back on the same port with the same moids and the same thumbprint', async () => {
    const before = await vc.control.dump();
    await vc.kill();
    await expect(serviceContent(new Soap(vc.url))).rejects.toThrow();
    await vc.restart();
    const sc = await serviceContent(new Soap(vc.url));
    expect(sc.fingerprint).toBe(vc.thumbprint);
    const after = await vc.control.dump();
    expect(after.hosts.map((h) => [h.moid, h.name])).toEqual(before.hosts.map((h) => [h.moid, h.name]));
    expect(after.vms.map((v) => [v.moid, v.name, v.vnics])).toEqual(before.vms.map((v) => [v.moid, v.name, v.vnics]));
  });
});

describe('vcsim incremental collector', () => {
  let vc: Vcsim;

  beforeAll(async () => {
    vc = await startVcsim({
      collector: 'incremental',
      hostCount: 3,
      portgroups: [{ name: 'web', vlan: 100 }],
      switches: [{ name: 'DSwitch', portgroups: [{ name: 'dv-app', vlan: 300 }] }],
      vmCount: 20,
    });
  });

  afterAll(async () => {
    await vc?.stop();
  });

  it('pages by maxObjectUpdates, and a mirror built from its updates equals a fresh read after changes', async () => {
    const s = new Soap(vc.url);
    const { content } = await serviceContent(s);
    await login(s, content, vc.username, vc.password);
    const view = await containerView(s, content, 'VirtualMachine', 'HostSystem');
    const props = { VirtualMachine: ['name', 'runtime.host', 'runtime.powerState', 'config.hardware.device'], HostSystem: ['name', 'vm', 'config.network.portgroup'] };
    const pc = find((await s.call('CreatePropertyCollector', mor('PropertyCollector', content.propertyCollector))).body, 'returnval')!.text;
    await s.call('CreateFilter', mor('PropertyCollector', pc) + `<spec>${filterSpec(view, props)}</spec><partialUpdates>false</partialUpdates>`);

    // The mirror keeps each property's XML as text, so it compares with a fresh read.
    const mirror = new Map<string, Map<string, string>>();
    const text = (n: Node | undefined): string => (n ? `${n.text}${n.children.map((c) => `<${c.name}>${text(c)}`).join('')}` : '');
    let version = '';
    const pull = async (maxObjectUpdates: number): Promise<{ objects: number; truncated: boolean } | null> => {
      const r = await s.call(
        'WaitForUpdatesEx',
        mor('PropertyCollector', pc) +
          `<version>${version}</version><options><maxWaitSeconds>1</maxWaitSeconds><maxObjectUpdates>${maxObjectUpdates}</maxObjectUpdates></options>`,
      );
      const upd = find(r.body, 'returnval');
      if (!upd) return null;
      version = kid(upd, 'version')!.text;
      let objects = 0;
      for (const fs of kids(upd, 'filterSet'))
        for (const os of kids(fs, 'objectSet')) {
          objects++;
          const moid = kid(os, 'obj')!.text;
          if (kid(os, 'kind')!.text === 'leave') {
            mirror.delete(moid);
            continue;
          }
          const m = mirror.get(moid) ?? new Map<string, string>();
          for (const cs of kids(os, 'changeSet')) m.set(kid(cs, 'name')!.text, text(kid(cs, 'val')));
          mirror.set(moid, m);
        }
      return { objects, truncated: kid(upd, 'truncated')?.text === 'true' };
    };

    const pages: number[] = [];
    for (;;) {
      const p = await pull(7);
      pages.push(p!.objects);
      if (!p!.truncated) break;
    }
    expect(pages.slice(0, -1).every((n) => n === 7)).toBe(true);
    expect(mirror.size).toBe(23); // 20 VMs + 3 hosts
    const fresh = async () => {
      const got = await retrieve(s, content, view, props);
      return new Map([...got].map(([moid, p]) => [moid, new Map([...p].map(([k, v]) => [k, text(v)]))]));
    };
    expect(mirror).toEqual(await fresh());

    await vc.control.relocate('vm-00001', 'esx-03.lab');
    await vc.control.power('vm-00002', false);
    await vc.control.createVm({ name: 'new1', host: 'esx-02.lab', nics: [{ network: 'dv-app' }] });
    await vc.control.destroyVm('vm-00003');
    await vc.control.setVlan({ portgroup: 'web', hosts: ['esx-01.lab'], vlan: 150 });
    await vc.control.addVnic('vm-00004', { network: 'web' });
    const deadline = Date.now() + 5000;
    let want = await fresh();
    while (Date.now() < deadline) {
      await pull(0);
      want = await fresh();
      if (JSON.stringify([...mirror].map(([k, v]) => [k, [...v]]).sort()) === JSON.stringify([...want].map(([k, v]) => [k, [...v]]).sort())) break;
    }
    expect(mirror).toEqual(want);
    const names = [...mirror.values()].map((p) => p.get('name'));
    expect(names).toContain('new1');
    expect(names).not.toContain('vm-00003');
    await s.call('DestroyPropertyCollector', mor('PropertyCollector', pc));
  });
});
