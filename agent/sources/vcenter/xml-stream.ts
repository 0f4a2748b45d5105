// A streaming reader for vSphere SOAP responses. Large answers (the first sync of 10k VMs is
// ≈60 MB) are never held whole: saxes parses each network chunk as it arrives, and only the
// subtrees a caller asks for (one ObjectUpdate, one Event…) are built as small XNode trees,
// handed over and dropped. Element names are local names (prefixes vary between servers);
// `xsi:type` is kept as `type`, the only polymorphism marker vSphere uses. Namespace processing
// is left off (it halves saxes' speed); prefixes bound to the XSI namespace are tracked by hand.

import { SaxesParser, type SaxesTag } from 'saxes';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

export interface XNode {
  name: string;
  /** xsi:type, without prefix; null when absent */
  type: string | null;
  attrs: Record<string, string>;
  text: string;
  children: XNode[];
}

/** Decides from the element path (local names, Envelope first) whether to collect a subtree. */
export type CollectRule = (path: readonly string[]) => boolean;

/**
 * Inside a collected subtree: true for an element whose subtree is of no use (a disk's
 * backing, a device's label…). It is then skipped whole, never built: with 10,000 VMs most of
 * the bytes are such devices, and not building them is most of the parse's memory and time.
 */
export type PruneRule = (path: readonly string[], collectDepth: number) => boolean;

export class SoapStreamReader {
  private readonly parser = new SaxesParser({ xmlns: false });
  private readonly xsiPrefixes = new Set<string>(['xsi']);
  private readonly path: string[] = [];
  private readonly stack: XNode[] = [];
  /** depth at which the current collected subtree starts, -1 when not collecting */
  private collectDepth = -1;
  /** depth of the element being skipped (pruned), -1 when not skipping */
  private skipDepth = -1;
  private error: Error | null = null;
  fault: XNode | null = null;

  constructor(
    private readonly collect: CollectRule,
    private readonly onNode: (node: XNode, path: readonly string[]) => void,
    private readonly prune: PruneRule | null = null,
  ) {
    this.parser.on('opentag', (tag) => this.open(tag as SaxesTag));
    this.parser.on('text', (t) => this.text(t));
    this.parser.on('cdata', (t) => this.text(t));
    this.parser.on('closetag', () => this.close());
    this.parser.on('error', (err) => {
      this.error ??= err;
    });
  }

  write(chunk: string): void {
    if (this.error) throw this.error;
    this.parser.write(chunk);
    if (this.error) throw this.error;
  }

  end(): void {
    if (this.error) throw this.error;
    this.parser.close();
    if (this.error) throw this.error;
  }

  private open(tag: SaxesTag): void {
    const colon = tag.name.indexOf(':');
    const name = colon < 0 ? tag.name : tag.name.slice(colon + 1);
    this.path.push(name);
    const depth = this.path.length;
    if (this.skipDepth > 0) return;
    if (this.collectDepth > 0 && this.prune && this.prune(this.path, this.collectDepth)) {
      this.skipDepth = depth;
      return;
    }
    const attributes = tag.attributes as Record<string, string>;
    for (const k in attributes) {
      if (k.startsWith('xmlns:') && attributes[k] === XSI) this.xsiPrefixes.add(k.slice(6));
    }
    const isFault = name === 'Fault' && this.path[depth - 2] === 'Body';
    if (this.collectDepth < 0 && !isFault && !this.collect(this.path)) return;
    const attrs: Record<string, string> = {};
    let type: string | null = null;
    for (const k in attributes) {
      const v = attributes[k]!;
      const c = k.indexOf(':');
      if (c < 0) {
        if (k !== 'xmlns') attrs[k] = v;
      } else if (k.endsWith(':type') && this.xsiPrefixes.has(k.slice(0, c))) {
        const vc = v.indexOf(':');
        type = vc < 0 ? v : v.slice(vc + 1);
      }
    }
    const node: XNode = { name, type, attrs, text: '', children: [] };
    if (this.collectDepth < 0) this.collectDepth = depth;
    else this.stack[this.stack.length - 1]!.children.push(node);
    this.stack.push(node);
  }

  private text(t: string): void {
    if (this.skipDepth > 0) return;
    const top = this.stack[this.stack.length - 1];
    if (top) top.text += t;
  }

  private close(): void {
    const depth = this.path.length;
    if (this.skipDepth > 0) {
      if (depth === this.skipDepth) this.skipDepth = -1;
      this.path.pop();
      return;
    }
    if (this.collectDepth > 0 && depth >= this.collectDepth) {
      const node = this.stack.pop()!;
      if (node.children.length > 0) node.text = ''; // indentation between children
      else if (node.text.length >= 13) node.text = detach(node.text);
      if (depth === this.collectDepth) {
        this.collectDepth = -1;
        if (node.name === 'Fault' && this.path[depth - 2] === 'Body') this.fault = node;
        else this.onNode(node, this.path);
      }
    }
    this.path.pop();
  }
}

/**
 * A copy of `s` that does not share memory with the network chunk it was cut from. V8 keeps
 * substrings of 13+ characters as views into their parent string, so one VM name kept in the
 * inventory would otherwise pin a whole 64 KB chunk: 10,000 VMs would pin the entire 60 MB
 * answer. Prepending forces a flat copy; the slice then views only that copy.
 */
function detach(s: string): string {
  return (' ' + s).slice(1);
}

// Small accessors used by the translator: children by local name, typed leaf values.

export function child(n: XNode | undefined, name: string): XNode | undefined {
  if (!n) return undefined;
  for (const c of n.children) if (c.name === name) return c;
  return undefined;
}

export function childrenNamed(n: XNode | undefined, name: string): XNode[] {
  if (!n) return [];
  return n.children.filter((c) => c.name === name);
}

export function textOf(n: XNode | undefined, name: string): string | undefined {
  const c = child(n, name);
  return c === undefined ? undefined : c.text;
}

/** Parse a whole (small) document and return the collected nodes. */
export function parseAll(xml: string, collect: CollectRule, prune: PruneRule | null = null): { nodes: XNode[]; fault: XNode | null } {
  const nodes: XNode[] = [];
  const r = new SoapStreamReader(collect, (n) => nodes.push(n), prune);
  r.write(xml);
  r.end();
  return { nodes, fault: r.fault };
}
