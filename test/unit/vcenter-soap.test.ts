// The SOAP layer without a server: requests are serialised by `soap` from our own schema and
// in schema order (checked against vim-min.xsd itself), the streaming reader gives the same
// result however the bytes are chunked, faults map to stable codes, thumbprints normalise.

import { readFileSync } from 'node:fs';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { describe, expect, it } from 'vitest';
import { VimFault, faultFromNode } from '../../agent/sources/vcenter/faults.js';
import { normalizeThumbprint } from '../../agent/sources/vcenter/tls.js';
import { Transport, type PostOptions, type StreamResult } from '../../agent/sources/vcenter/transport.js';
import { ALL_PROPERTIES, INVENTORY_VIEW_TYPES, VM_VIEW_TYPES } from '../../agent/sources/vcenter/translate.js';
import { VimApi, mo, viewFilterSpec } from '../../agent/sources/vcenter/vim-api.js';
import { SoapStreamReader, parseAll, type XNode } from '../../agent/sources/vcenter/xml-stream.js';

const XSD = new URL('../../agent/sources/vcenter/wsdl/vim-min.xsd', import.meta.url);
const WSDL = new URL('../../agent/sources/vcenter/wsdl/vim-min.wsdl', import.meta.url);

const FAULT = (detail: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>The session is not authenticated.</faultstring><detail>${detail}</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;

/** Records request bodies and answers each with a fault: the serialisation is what we test. */
class RecordingTransport extends Transport {
  readonly bodies: string[] = [];
  constructor() {
    super(new URL('https://vc.invalid/sdk'), new https.Agent(), 'vc-test');
  }
  override postStream(body: string, onText: (t: string) => void, _opts: PostOptions): Promise<StreamResult> {
    this.bodies.push(body);
    onText(FAULT('<NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"><object type="Folder">group-d1</object><privilegeId>System.View</privilegeId></NotAuthenticatedFault>'));
    return Promise.resolve({ status: 500, headers: {} });
  }
}

// --- a tiny reader of our XSD: sequence order per type ------------------------------------------

interface Schema {
  types: Map<string, { base: string | null; seq: { name: string; type: string | null }[] }>;
  elements: Map<string, string>;
}

function readSchema(xml: string): Schema {
  const types: Schema['types'] = new Map();
  const elements: Schema['elements'] = new Map();
  const p = new SaxesParser({ xmlns: true });
  const stack: { local: string; name?: string }[] = [];
  let current: string | null = null;
  let anon = 0;
  p.on('opentag', (t) => {
    const tag = t as SaxesTagNS;
    const a = (k: string) => tag.attributes[k]?.value;
    const strip = (v: string | undefined) => (v ? v.replace(/^.*:/, '') : null);
    const depth = stack.length;
    if (tag.local === 'complexType') {
      current = a('name') ?? `#anon${++anon}`;
      if (!a('name')) {
        const el = [...stack].reverse().find((s) => s.local === 'element');
        if (el?.name) elements.set(el.name, current);
      }
      types.set(current, { base: null, seq: [] });
    } else if (tag.local === 'extension' && current) types.get(current)!.base = strip(a('base'));
    else if (tag.local === 'element') {
      if (depth === 1) {
        if (a('type')) elements.set(a('name')!, strip(a('type'))!);
      } else if (current) types.get(current)!.seq.push({ name: a('name')!, type: strip(a('type')) });
    }
    stack.push({ local: tag.local, ...(a('name') ? { name: a('name') } : {}) });
  });
  p.on('closetag', () => {
    const s = stack.pop();
    if (s?.local === 'complexType') current = null;
  });
  p.write(xml).close();
  return { types, elements };
}

function sequenceOf(schema: Schema, type: string): { name: string; type: string | null }[] {
  const t = schema.types.get(type);
  if (!t) return [];
  return [...(t.base ? sequenceOf(schema, t.base) : []), ...t.seq];
}

/** Every element's children appear in its type's sequence order, and are declared there. */
function checkOrder(schema: Schema, n: XNode, type: string, where: string, problems: string[]): void {
  const seq = sequenceOf(schema, n.type ?? type);
  if (seq.length === 0) return; // simple type or anyType
  let last = -1;
  for (const c of n.children) {
    const i = seq.findIndex((s) => s.name === c.name);
    if (i < 0) problems.push(`${where}/${c.name}: not declared in ${n.type ?? type}`);
    else if (i < last) problems.push(`${where}/${c.name}: out of schema order in ${n.type ?? type}`);
    else {
      last = i;
      checkOrder(schema, c, seq[i]!.type ?? '', `${where}/${c.name}`, problems);
    }
  }
}

describe('vCenter SOAP layer', () => {
  it('our WSDL and XSD are our own and declare every operation we call', () => {
    const wsdl = readFileSync(WSDL, 'utf8');
    const xsd = readFileSync(XSD, 'utf8');
    expect(wsdl).toContain("vmtrace's own minimal WSDL");
    expect(xsd).toContain("vmtrace's own minimal schema");
    for (const op of ['RetrieveServiceContent', 'Login', 'Logout', 'CurrentTime', 'CreateContainerView', 'DestroyView', 'CreatePropertyCollector',
      'DestroyPropertyCollector', 'CreateFilter', 'WaitForUpdatesEx', 'CancelWaitForUpdates', 'RetrievePropertiesEx', 'ContinueRetrievePropertiesEx',
      'CreateCollectorForEvents', 'SetCollectorPageSize', 'ReadNextEvents', 'DestroyCollector']) {
      expect(wsdl).toContain(`<operation name="${op}">`);
      expect(xsd).toContain(`<xsd:element name="${op}"`);
      expect(xsd).toContain(`<xsd:element name="${op}Response"`);
    }
  });

  it('serialises every request in schema order, with typed managed object references', async () => {
    const t = new RecordingTransport();
    const api = await VimApi.create(t, 'vc-test', 1000);
    const pc = mo('PropertyCollector', 'session[x]pc');
    const view = mo('ContainerView', 'session[x]view');
    const calls: Array<() => Promise<unknown>> = [
      () => api.retrieveServiceContent(),
      () => api.login(mo('SessionManager', 'SessionManager'), 'svc-vmtrace@vsphere.local', 'p<&>"ss'),
      () => api.logout(mo('SessionManager', 'SessionManager')),
      () => api.currentTime(),
      () => api.createContainerView(mo('ViewManager', 'ViewManager'), mo('Folder', 'group-d1'), [...VM_VIEW_TYPES, ...INVENTORY_VIEW_TYPES]),
      () => api.destroyView(view),
      () => api.createPropertyCollector(mo('PropertyCollector', 'propertyCollector')),
      () => api.destroyPropertyCollector(pc),
      () => api.createFilter(pc, viewFilterSpec(view, ALL_PROPERTIES)),
      () => api.cancelWaitForUpdates(pc),
      () => api.waitForUpdatesEx(pc, '12', { maxWaitSeconds: 30, maxObjectUpdates: 1000 }, () => {}, 1000),
      () => api.retrieveAll(pc, viewFilterSpec(view, ALL_PROPERTIES), 500, () => {}, 1000),
      () => api.createCollectorForEvents(mo('EventManager', 'EventManager'), ['VmBeingHotMigratedEvent', 'VmMigratedEvent']),
      () => api.setCollectorPageSize(mo('EventHistoryCollector', 'c1'), 100),
      () => api.readNextEvents(mo('EventHistoryCollector', 'c1'), 100, () => {}, 1000),
      () => api.destroyCollector(mo('EventHistoryCollector', 'c1')),
    ];
    for (const c of calls) {
      const err = await c().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(VimFault);
      expect((err as VimFault).fault).toBe('NotAuthenticated');
    }
    const schema = readSchema(readFileSync(XSD, 'utf8'));
    const problems: string[] = [];
    const ops: string[] = [];
    for (const body of t.bodies) {
      const { nodes } = parseAll(body, (p) => p.length === 3 && p[1] === 'Body');
      const req = nodes[0]!;
      ops.push(req.name);
      const type = schema.elements.get(req.name);
      expect(type, req.name).toBeDefined();
      checkOrder(schema, req, type!, req.name, problems);
      // every request names its target object with a typed reference
      expect(req.children[0]!.name).toBe('_this');
      expect(req.children[0]!.attrs.type).toMatch(/^[A-Z]/);
    }
    expect(problems).toEqual([]);
    expect(ops).toEqual(['RetrieveServiceContent', 'Login', 'Logout', 'CurrentTime', 'CreateContainerView', 'DestroyView', 'CreatePropertyCollector',
      'DestroyPropertyCollector', 'CreateFilter', 'CancelWaitForUpdates', 'WaitForUpdatesEx', 'RetrievePropertiesEx', 'CreateCollectorForEvents',
      'SetCollectorPageSize', 'ReadNextEvents', 'DestroyCollector']);
    // the password is escaped, the traversal spec carries its xsi:type
    expect(t.bodies[1]).toContain('p&lt;&amp;&gt;&quot;ss');
    expect(t.bodies[8]).toMatch(/selectSet xsi:type="[a-z0-9]+:TraversalSpec"/);
  });

  it('reads a response identically however it is chunked', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:a="http://schemas.xmlsoap.org/soap/envelope/" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><a:Body><WaitForUpdatesExResponse xmlns="urn:vim25"><returnval><version>7</version><filterSet><filter type="PropertyFilter">f1</filter>
      <objectSet><kind>modify</kind><obj type="VirtualMachine">vm-1</obj><changeSet><name>name</name><op>assign</op><val i:type="xsd:string">wéb &amp; 01 — ünïcode</val></changeSet></objectSet>
      <objectSet><kind>leave</kind><obj type="VirtualMachine">vm-2</obj></objectSet></filterSet><truncated>true</truncated></returnval></WaitForUpdatesExResponse></a:Body></a:Envelope>`;
    const collect = (p: readonly string[]) => (p.length === 5 && p[3] === 'returnval' && p[4] !== 'filterSet') || (p.length === 6 && p[4] === 'filterSet');
    const whole = parseAll(xml, collect).nodes;
    expect(whole.map((n) => n.name)).toEqual(['version', 'filter', 'objectSet', 'objectSet', 'truncated']);
    expect(whole[2]!.children[2]!.children[2]).toMatchObject({ name: 'val', type: 'string', text: 'wéb & 01 — ünïcode' });
    // byte-wise chunks through the transport's decoder path: split multi-byte characters too
    const bytes = Buffer.from(xml);
    for (const size of [1, 2, 3, 7, 64]) {
      const dec = new StringDecoder('utf8');
      const got: XNode[] = [];
      const r = new SoapStreamReader(collect, (n) => got.push(n));
      for (let i = 0; i < bytes.length; i += size) r.write(dec.write(bytes.subarray(i, i + size)));
      r.write(dec.end());
      r.end();
      expect(got).toEqual(whole);
    }
  });

  it('rejects malformed XML with an error, not a crash', () => {
    const r = new SoapStreamReader(() => true, () => {});
    expect(() => {
      r.write('<a:Envelope xmlns:a="x"><a:Body><b></c></a:Body>');
      r.end();
    }).toThrow();
  });

  it('maps faults to stable codes: session faults are transient, a wrong password is not', () => {
    const f = (detail: string) => parseAll(FAULT(detail), () => false).fault!;
    const notAuth = faultFromNode(f('<NotAuthenticatedFault xsi:type="NotAuthenticated"/>'), 'vc1', 'CurrentTime');
    expect([notAuth.code, notAuth.fault, notAuth.transient]).toEqual(['VCENTER_AUTH', 'NotAuthenticated', true]);
    const badLogin = faultFromNode(f('<InvalidLoginFault xsi:type="InvalidLogin"/>'), 'vc1', 'Login');
    expect([badLogin.code, badLogin.fault, badLogin.transient]).toEqual(['VCENTER_AUTH', 'InvalidLogin', false]);
    expect(badLogin.message).toBe('vCenter vc1: login refused (wrong user name or password)');
    const gone = faultFromNode(f('<ManagedObjectNotFoundFault><obj type="VirtualMachine">vm-9</obj></ManagedObjectNotFoundFault>'), 'vc1', 'CreateFilter');
    expect([gone.code, gone.fault, gone.transient]).toEqual(['VCENTER_FAULT', 'ManagedObjectNotFound', true]);
    const bare = faultFromNode(f(''), 'vc1', 'Logout');
    expect(bare.fault).toBe('ServerFault');
    expect(bare.message).toContain('The session is not authenticated.');
  });

  it('normalises SHA-256 thumbprints and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    const want = Array(32).fill('AB').join(':');
    expect(normalizeThumbprint(hex)).toBe(want);
    expect(normalizeThumbprint(want.toLowerCase())).toBe(want);
    expect(normalizeThumbprint(`SHA256:${want}`)).toBe(want);
    expect(() => normalizeThumbprint('AB:CD')).toThrow(/64 hex digits/);
    // a SHA-1 thumbprint (what old vCenter docs show) is refused, not truncated
    expect(() => normalizeThumbprint('ab'.repeat(20))).toThrow(/64 hex digits/);
  });
});
