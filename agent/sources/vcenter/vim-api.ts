// The vSphere calls vmtrace makes, over our own minimal WSDL (./wsdl). `soap` builds every
// request from the schema and parses the small answers. The three answers that can be huge or
// deeply polymorphic — WaitForUpdatesEx / RetrievePropertiesEx pages (the first sync of 10k VMs
// is ≈60 MB) and event lists — are streamed through saxes instead (xml-stream.ts): `soap` would
// buffer the whole body and build one object tree from it, blocking the event loop for seconds
// and holding several times the body in memory.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import soap from 'soap';
import { VmtraceError, errorMessage } from '../../../shared/errors.js';
import { faultFromNode } from './faults.js';
import type { Transport } from './transport.js';
import { pruneValues } from './translate.js';
import { SoapStreamReader, parseAll, type CollectRule, type PruneRule, type XNode } from './xml-stream.js';

/** A ManagedObjectReference as `soap` reads and writes it. */
export interface SoapMoRef {
  attributes: { type: string };
  $value: string;
}

export function mo(type: string, value: string): SoapMoRef {
  return { attributes: { type }, $value: value };
}

function fromSoapMoRef(r: unknown, what: string): SoapMoRef {
  const o = r as Partial<SoapMoRef> | undefined;
  if (o && typeof o.$value === 'string' && o.attributes && typeof o.attributes.type === 'string') return mo(o.attributes.type, o.$value);
  throw new VmtraceError('VCENTER_FAULT', `vCenter answered ${what} without a managed object reference`, { transient: true });
}

/** Where the WSDL lives: beside this file in the source tree, or in the source tree from dist/. */
function wsdlPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'wsdl', 'vim-min.wsdl'), join(here, '..', '..', '..', '..', 'agent', 'sources', 'vcenter', 'wsdl', 'vim-min.wsdl')];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new VmtraceError('INTERNAL', `vCenter WSDL not found (looked in ${candidates.join(', ')})`);
}

export interface ServiceContent {
  propertyCollector: SoapMoRef;
  viewManager: SoapMoRef;
  sessionManager: SoapMoRef;
  eventManager: SoapMoRef | null;
  rootFolder: SoapMoRef;
  apiVersion: string;
  instanceUuid: string | null;
}

/** A PropertyFilterSpec over one ContainerView, keys in schema order (soap writes key order). */
export function viewFilterSpec(view: SoapMoRef, props: ReadonlyArray<{ type: string; pathSet: string[] }>) {
  return {
    propSet: props.map((p) => ({ type: p.type, all: false, pathSet: p.pathSet })),
    objectSet: [
      {
        obj: view,
        skip: true,
        selectSet: [
          {
            attributes: { xsi_type: { type: 'TraversalSpec', xmlns: 'urn:vim25' } },
            name: 'traverseView',
            type: 'ContainerView',
            path: 'view',
            skip: false,
          },
        ],
      },
    ],
  };
}

type SoapClient = soap.Client & Record<string, (args: unknown) => Promise<[unknown, string]>>;

export class VimApi {
  private constructor(
    private readonly client: SoapClient,
    private readonly transport: Transport,
    readonly vcenter: string,
    private readonly callTimeoutMs: number,
  ) {}

  static async create(transport: Transport, vcenter: string, callTimeoutMs: number): Promise<VimApi> {
    const client = (await soap.createClientAsync(wsdlPath(), {
      endpoint: transport.url.href,
      request: transport.soapRequest(callTimeoutMs) as never,
      disableCache: false,
    })) as SoapClient;
    return new VimApi(client, transport, vcenter, callTimeoutMs);
  }

  /** A small call through `soap`; faults become VimFault, transport errors pass through. */
  async call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    try {
      const [result] = await this.client[`${method}Async`]!(args);
      return (result as Record<string, unknown> | null) ?? null;
    } catch (err) {
      throw this.mapError(err, method);
    }
  }

  private mapError(err: unknown, method: string): Error {
    if (err instanceof VmtraceError) return err;
    const body = (err as { body?: unknown }).body;
    if (typeof body === 'string' && body.includes('Fault')) {
      try {
        const { fault } = parseAll(body, () => false);
        if (fault) return faultFromNode(fault, this.vcenter, method);
      } catch {
        /* fall through to a generic error */
      }
    }
    return new VmtraceError('VCENTER_FAULT', `vCenter ${this.vcenter}: ${method} failed: ${errorMessage(err)}`, { cause: err, transient: true });
  }

  /**
   * A call whose answer is streamed: `collect` picks the subtrees (paths of local names,
   * Envelope first), `onNode` receives each as soon as it is complete.
   */
  async stream(
    method: string,
    args: Record<string, unknown>,
    collect: CollectRule,
    onNode: (n: XNode, path: readonly string[]) => void,
    timeoutMs: number,
    prune: PruneRule | null = null,
  ): Promise<void> {
    const wsdl = (this.client as unknown as { wsdl: WsdlInternals }).wsdl;
    const input = wsdl.definitions.services.VimService.ports.VimPort.binding.methods[method]!.input;
    const body = wsdl.objectToDocumentXML(input.$name, args, input.targetNSAlias, input.targetNamespace, input.$type ?? input.$lookupType);
    const envelope =
      '<?xml version="1.0" encoding="utf-8"?>' +
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">' +
      `<soap:Body>${body}</soap:Body></soap:Envelope>`;
    const reader = new SoapStreamReader(collect, onNode, prune);
    let res;
    try {
      res = await this.transport.postStream(envelope, (t) => reader.write(t), { timeoutMs });
      reader.end();
    } catch (err) {
      if (reader.fault) throw faultFromNode(reader.fault, this.vcenter, method);
      if (err instanceof VmtraceError) throw err;
      throw new VmtraceError('VCENTER_FAULT', `vCenter ${this.vcenter}: ${method}: unreadable answer: ${errorMessage(err)}`, { cause: err, transient: true });
    }
    if (reader.fault) throw faultFromNode(reader.fault, this.vcenter, method);
    if (res.status !== 200) throw new VmtraceError('VCENTER_FAULT', `vCenter ${this.vcenter}: ${method}: HTTP ${res.status}`, { transient: true });
  }

  // --- the operations -------------------------------------------------------------------------

  async retrieveServiceContent(): Promise<ServiceContent> {
    const r = await this.call('RetrieveServiceContent', { _this: mo('ServiceInstance', 'ServiceInstance') });
    const sc = r?.returnval as Record<string, unknown> | undefined;
    if (!sc) throw new VmtraceError('VCENTER_FAULT', `vCenter ${this.vcenter}: empty ServiceContent`, { transient: true });
    const about = (sc.about ?? {}) as Record<string, unknown>;
    return {
      propertyCollector: fromSoapMoRef(sc.propertyCollector, 'propertyCollector'),
      viewManager: fromSoapMoRef(sc.viewManager, 'viewManager'),
      sessionManager: fromSoapMoRef(sc.sessionManager, 'sessionManager'),
      eventManager: sc.eventManager ? fromSoapMoRef(sc.eventManager, 'eventManager') : null,
      rootFolder: fromSoapMoRef(sc.rootFolder, 'rootFolder'),
      apiVersion: String(about.apiVersion ?? ''),
      instanceUuid: typeof about.instanceUuid === 'string' ? about.instanceUuid : null,
    };
  }

  async login(sessionManager: SoapMoRef, userName: string, password: string): Promise<string> {
    const r = await this.call('Login', { _this: sessionManager, userName, password });
    const s = (r?.returnval ?? {}) as Record<string, unknown>;
    return String(s.key ?? '');
  }

  async logout(sessionManager: SoapMoRef): Promise<void> {
    await this.call('Logout', { _this: sessionManager });
  }

  /** Keep-alive: the cheapest authenticated call. */
  async currentTime(): Promise<void> {
    await this.call('CurrentTime', { _this: mo('ServiceInstance', 'ServiceInstance') });
  }

  async createContainerView(viewManager: SoapMoRef, container: SoapMoRef, types: string[]): Promise<SoapMoRef> {
    const r = await this.call('CreateContainerView', { _this: viewManager, container, type: types, recursive: true });
    return fromSoapMoRef(r?.returnval, 'CreateContainerView');
  }

  async destroyView(view: SoapMoRef): Promise<void> {
    await this.call('DestroyView', { _this: view });
  }

  async createPropertyCollector(pc: SoapMoRef): Promise<SoapMoRef> {
    const r = await this.call('CreatePropertyCollector', { _this: pc });
    return fromSoapMoRef(r?.returnval, 'CreatePropertyCollector');
  }

  async destroyPropertyCollector(pc: SoapMoRef): Promise<void> {
    await this.call('DestroyPropertyCollector', { _this: pc });
  }

  async createFilter(pc: SoapMoRef, spec: unknown): Promise<SoapMoRef> {
    const r = await this.call('CreateFilter', { _this: pc, spec, partialUpdates: false });
    return fromSoapMoRef(r?.returnval, 'CreateFilter');
  }

  async cancelWaitForUpdates(pc: SoapMoRef): Promise<void> {
    await this.call('CancelWaitForUpdates', { _this: pc });
  }

  async createCollectorForEvents(eventManager: SoapMoRef, eventTypeIds: string[]): Promise<SoapMoRef> {
    const r = await this.call('CreateCollectorForEvents', { _this: eventManager, filter: { eventTypeId: eventTypeIds } });
    return fromSoapMoRef(r?.returnval, 'CreateCollectorForEvents');
  }

  async setCollectorPageSize(collector: SoapMoRef, maxCount: number): Promise<void> {
    await this.call('SetCollectorPageSize', { _this: collector, maxCount });
  }

  async destroyCollector(collector: SoapMoRef): Promise<void> {
    await this.call('DestroyCollector', { _this: collector });
  }

  /**
   * WaitForUpdatesEx, streamed. `onFilterObject` gets each ObjectUpdate with the filter it
   * belongs to; returns the new version and whether the server truncated the page.
   */
  async waitForUpdatesEx(
    pc: SoapMoRef,
    version: string,
    opts: { maxWaitSeconds: number; maxObjectUpdates: number },
    onObject: (filter: string, n: XNode) => void,
    timeoutMs: number,
  ): Promise<{ version: string | null; truncated: boolean; empty: boolean }> {
    let newVersion: string | null = null;
    let truncated = false;
    let empty = true;
    let filter = '';
    const args = { _this: pc, version, options: { maxWaitSeconds: opts.maxWaitSeconds, maxObjectUpdates: opts.maxObjectUpdates } };
    await this.stream(
      'WaitForUpdatesEx',
      args,
      (p) => p.length === 5 && p[3] === 'returnval' && (p[4] === 'version' || p[4] === 'truncated') || (p.length === 6 && p[4] === 'filterSet' && (p[5] === 'filter' || p[5] === 'objectSet')),
      (n) => {
        if (n.name === 'version') newVersion = n.text.trim();
        else if (n.name === 'truncated') truncated = n.text.trim() === 'true';
        else if (n.name === 'filter') filter = n.text.trim();
        else {
          empty = false;
          onObject(filter, n);
        }
      },
      timeoutMs,
      pruneValues,
    );
    return { version: newVersion, truncated, empty };
  }

  /** RetrievePropertiesEx + ContinueRetrievePropertiesEx, streamed, page by page. */
  async retrieveAll(pc: SoapMoRef, spec: unknown, maxObjects: number, onObject: (n: XNode) => void, timeoutMs: number): Promise<void> {
    let token: string | null = null;
    const collect: CollectRule = (p) => p.length === 5 && p[3] === 'returnval' && (p[4] === 'token' || p[4] === 'objects');
    const onNode = (n: XNode): void => {
      if (n.name === 'token') token = n.text.trim() || null;
      else onObject(n);
    };
    await this.stream('RetrievePropertiesEx', { _this: pc, specSet: [spec], options: { maxObjects } }, collect, onNode, timeoutMs, pruneValues);
    while (token) {
      const t: string = token;
      token = null;
      await this.stream('ContinueRetrievePropertiesEx', { _this: pc, token: t }, collect, onNode, timeoutMs, pruneValues);
    }
  }

  /** ReadNextEvents, streamed: each Event (polymorphic by xsi:type) as an XNode. */
  async readNextEvents(collector: SoapMoRef, maxCount: number, onEvent: (n: XNode) => void, timeoutMs: number): Promise<void> {
    await this.stream('ReadNextEvents', { _this: collector, maxCount }, (p) => p.length === 4 && p[3] === 'returnval', onEvent, timeoutMs);
  }

  get defaultTimeoutMs(): number {
    return this.callTimeoutMs;
  }
}

interface WsdlInternals {
  definitions: {
    services: {
      VimService: {
        ports: { VimPort: { binding: { methods: Record<string, { input: { $name: string; targetNSAlias: string; targetNamespace: string; $type?: string; $lookupType?: string } }> } } };
      };
    };
  };
  objectToDocumentXML(name: string, params: unknown, nsPrefix: string, nsURI: string, type?: string): string;
}
