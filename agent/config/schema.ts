// The config contract (DESIGN §4) as a schema: strict objects, so an unknown key is an error.
// Values are checked here for shape and range; files (secrets) are checked in load.ts.

import { z } from 'zod';
import { parseVlanRanges } from '../../shared/vlan.js';

const vlanId = z.number().int().min(1).max(4094);

/** A VLAN or a range: `110`, or `"2-4093"` (YAML reads an unquoted 2-4093 as a string). */
const vlanItem = z.union([vlanId, z.string()]).superRefine((v, ctx) => {
  if (typeof v === 'number') return;
  try {
    const r = parseVlanRanges(v);
    if (r.length === 0 || r.some((x) => x.from < 1 || x.to > 4094)) throw new RangeError(`"${v}" is outside 1-4094`);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h)$/, 'a duration like 300s, 5m, 1h')]);

const pinnedNeighbor = z
  .object({ host: z.string().min(1), nics: z.array(z.string().min(1)).min(1) })
  .strict();

const portPolicy = z
  .object({
    staticVlans: z.array(vlanItem).optional(),
    maxVlans: z.number().int().min(1).max(4094).optional(),
    pruneHoldDown: duration.optional(),
    adopt: z.boolean().optional(),
    neighbor: pinnedNeighbor.optional(),
  })
  .strict();

const vcenter = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    url: z.string().url(),
    username: z.string().min(1),
    passwordFile: z.string().min(1),
    thumbprint: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'a SHA-256 fingerprint: 64 hex digits, colons optional')
      .optional(),
    caFile: z.string().min(1).optional(),
  })
  .strict();

const endpoint = z.string().regex(/^(unix:|tcp:|ssl:)/, 'unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT');
const snmpAddr = z.string().regex(/^(udp:|tcp:|unix:|\/)/, 'udp:HOST:PORT, tcp:HOST:PORT, unix:PATH or a socket path');

const snmp = z
  .object({
    agentx: snmpAddr.optional(),
    listen: snmpAddr.optional(),
    lldpMib: z.boolean().optional(),
    communities: z.array(z.object({ communityFile: z.string().min(1), from: z.string().min(1) }).strict()).optional(),
    users: z
      .array(
        z
          .object({
            name: z.string().min(1),
            auth: z.enum(['sha', 'sha224', 'sha256', 'sha384', 'sha512', 'md5']),
            authKeyFile: z.string().min(1),
            priv: z.enum(['aes128', 'aes256b', 'aes256r', 'des']),
            privKeyFile: z.string().min(1),
          })
          .strict(),
      )
      .optional(),
    traps: z
      .array(
        z
          .object({
            target: snmpAddr,
            communityFile: z.string().min(1).optional(),
            user: z.string().min(1).optional(),
            inform: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export const configSchema = z
  .object({
    switch: z.string().min(1).max(64),
    stateDir: z.string().min(1).default('/var/lib/vmtrace'),
    mode: z.enum(['enforce', 'dry-run']).default('enforce'),
    vcenters: z.array(vcenter).default([]),
    ports: z
      .object({
        include: z.array(z.string().min(1)).min(1),
        defaults: portPolicy.omit({ neighbor: true }).optional(),
        overrides: z.record(z.string(), portPolicy).optional(),
      })
      .strict(),
    networks: z
      .object({
        default: z.enum(['portgroup', 'ignore']).default('portgroup'),
        map: z.record(z.string(), vlanId).optional(),
        ignore: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    allowedVlans: z.array(vlanItem).optional(),
    protectedVlans: z.array(vlanItem).optional(),
    maxRemovalsPerPlan: z.number().int().min(0).default(20),
    maxVlanMembers: z.number().int().min(1).default(4000),
    lldp: z
      .object({
        protocols: z.array(z.enum(['lldp', 'cdp'])).min(1).default(['lldp', 'cdp']),
        /** interfaces to capture on; default: the members of every opted-in port */
        interfaces: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    overlay: z
      .object({
        sourceIp: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address'),
        hostVtepPortgroup: z.string().min(1),
        networks: z.array(z.object({ portgroup: z.string().min(1), vni: z.number().int().min(1).max(16777215) }).strict()),
      })
      .strict()
      .optional(),
    driver: z
      .object({
        kind: z.enum(['ovsdb', 'dry-run']),
        endpoint: endpoint.default('unix:/var/run/openvswitch/db.sock'),
        bridge: z.string().min(1).default('br0'),
        vtepEndpoint: endpoint.optional(),
      })
      .strict(),
    snmp: snmp.optional(),
    log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') }).strict().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.vcenters.forEach((v, i) => {
      if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: ['vcenters', i, 'name'], message: `duplicate vCenter name "${v.name}"` });
      seen.add(v.name);
      if (!v.thumbprint && !v.caFile)
        ctx.addIssue({ code: 'custom', path: ['vcenters', i], message: 'set thumbprint or caFile: vmtrace never talks to a vCenter it cannot verify' });
    });
  });

export type RawConfig = z.infer<typeof configSchema>;
