// SOAP faults from vCenter, normalised: the vim fault name (NotAuthenticated, InvalidLogin,
// ManagedObjectNotFound…) plus a VmtraceError code that tells "log in again" from "operator
// must act".

import { VmtraceError, type ErrorCode } from '../../../shared/errors.js';
import { child, type XNode } from './xml-stream.js';

export class VimFault extends VmtraceError {
  constructor(
    code: ErrorCode,
    message: string,
    /** the vim fault type, e.g. `NotAuthenticated`; `ServerFault` when the detail is missing */
    readonly fault: string,
    transient: boolean,
  ) {
    super(code, message, { transient });
  }
}

/** Faults after which the session is unusable: log in again. */
export const SESSION_FAULTS = new Set(['NotAuthenticated', 'InvalidLogin', 'NoPermission', 'ManagedObjectNotFound']);

export function faultFromNode(node: XNode, vcenter: string, method: string): VimFault {
  const faultString = child(node, 'faultstring')?.text.trim() ?? '';
  const detail = child(node, 'detail');
  const first = detail?.children[0];
  // vCenter writes <NotAuthenticatedFault xsi:type="NotAuthenticated">; some proxies drop xsi:type
  const name = first ? (first.type ?? first.name.replace(/Fault$/, '')) : 'ServerFault';
  const msg = `vCenter ${vcenter}: ${method} failed: ${name}${faultString ? ` (${faultString})` : ''}`;
  switch (name) {
    case 'InvalidLogin':
      return new VimFault('VCENTER_AUTH', `vCenter ${vcenter}: login refused (wrong user name or password)`, name, false);
    case 'NotAuthenticated':
    case 'NoPermission':
      return new VimFault('VCENTER_AUTH', msg, name, true);
    default:
      return new VimFault('VCENTER_FAULT', msg, name, true);
  }
}
