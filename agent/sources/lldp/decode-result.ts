// The one exit of every decoder: a value or a DecodeError. Nothing is thrown (STYLE.md,
// "Decoders: lldpd"): a malformed frame yields an error naming the TLV, its offset in the frame
// and what was decoded before it, and the capture adapter bumps a counter.

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export interface DecodeError<P = unknown> {
  protocol: 'lldp' | 'cdp' | 'ethernet';
  /** human name of the TLV at fault, e.g. `Chassis ID (1)`; `frame` when it is the frame itself */
  tlv: string;
  /** TLV type code at fault (LLDP 0-127, CDP 0-65535), -1 for the frame */
  tlvType: number;
  /** byte offset of the fault's TLV from the start of the LLDPDU / CDP PDU */
  offset: number;
  reason: string;
  /** TLVs decoded before the fault, in frame order (what tshark still shows) */
  partial: P[];
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<P>(error: DecodeError<P>): { ok: false; error: DecodeError<P> } {
  return { ok: false, error };
}
