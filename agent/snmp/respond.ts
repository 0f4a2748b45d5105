// Answers a read PDU from the tree, within a size budget: shared by the UDP agent for v2c and
// v3. Read-only: a SET is answered notWritable (the object exists) or noAccess.

import { encodeVarbind } from './ber.js';
import { PDU, type Pdu } from './message.js';
import type { OidTree } from './tree.js';
import { T, type Varbind } from './varbind.js';

/** Most varbinds one GetBulk answer carries (snmpd bounds its answers similarly). */
export const MAX_BULK = 1000;

export const ERR = { noError: 0, tooBig: 1, genErr: 5, noAccess: 6, notWritable: 17 } as const;

export interface Answer {
  errorStatus: number;
  errorIndex: number;
  varbinds: Buffer[];
}

/** `budget`: bytes available for the encoded varbinds. */
export function answer(pdu: Pdu, tree: OidTree, budget: number): Answer {
  const encodeAll = (vbs: Varbind[], truncate: boolean): Answer => {
    const out: Buffer[] = [];
    let size = 0;
    for (const vb of vbs) {
      const b = encodeVarbind(vb);
      size += b.length;
      if (size > budget) {
        if (truncate && out.length > 0) break;
        return { errorStatus: ERR.tooBig, errorIndex: 0, varbinds: [] };
      }
      out.push(b);
    }
    return { errorStatus: ERR.noError, errorIndex: 0, varbinds: out };
  };
  switch (pdu.tag) {
    case PDU.Get:
      return encodeAll(pdu.varbinds.map((v) => tree.get(v.oid)), false);
    case PDU.GetNext:
      return encodeAll(pdu.varbinds.map((v) => tree.getNext(v.oid)), false);
    case PDU.GetBulk: {
      // Generate and encode together, stopping at the size budget or MAX_BULK varbinds: the
      // work a request can cause is bounded by one response, whatever max-repetitions says.
      const oids = pdu.varbinds.map((v) => v.oid);
      const n = Math.max(0, Math.min(pdu.a, oids.length));
      const out: Buffer[] = [];
      let size = 0;
      const add = (vb: Varbind): boolean => {
        const b = encodeVarbind(vb);
        if (size + b.length > budget || out.length >= MAX_BULK) return false;
        size += b.length;
        out.push(b);
        return true;
      };
      for (let i = 0; i < n; i++) {
        if (!add(tree.getNext(oids[i]!))) return out.length ? { errorStatus: 0, errorIndex: 0, varbinds: out } : { errorStatus: ERR.tooBig, errorIndex: 0, varbinds: [] };
      }
      const cursors = oids.slice(n);
      for (let r = 0; r < pdu.b && cursors.length > 0; r++) {
        let more = false;
        for (let j = 0; j < cursors.length; j++) {
          const vb = tree.getNext(cursors[j]!);
          if (!add(vb)) return { errorStatus: ERR.noError, errorIndex: 0, varbinds: out };
          if (vb.type !== T.EndOfMibView) {
            cursors[j] = vb.oid;
            more = true;
          }
        }
        if (!more) break;
      }
      return { errorStatus: ERR.noError, errorIndex: 0, varbinds: out };
    }
    case PDU.Set: {
      const first = pdu.varbinds[0];
      const exists = first !== undefined && tree.get(first.oid).type < T.NoSuchObject;
      const echo = pdu.varbinds.map((v) => encodeVarbind({ oid: v.oid, type: T.Null, value: null }));
      const fits = echo.reduce((n, b) => n + b.length, 0) <= budget;
      return {
        errorStatus: exists ? ERR.notWritable : ERR.noAccess,
        errorIndex: first ? 1 : 0,
        varbinds: fits ? echo : [],
      };
    }
    default:
      return { errorStatus: ERR.genErr, errorIndex: 0, varbinds: [] };
  }
}
