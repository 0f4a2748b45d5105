// One call from facts to plan: which ports, what they need, what to change. The controller and
// `vmtrace plan` both use it, so what `plan` prints is what the agent would do.

import type { DevicePort, Neighbor, SourceStatus } from '../../shared/model.js';
import { buildContext, desiredState, liveNeighbors, type FactsView, type PortDesire } from './desired.js';
import { plan, type PlanOutput } from './plan.js';
import type { Policy, PortRecord } from './types.js';

export interface EngineInput {
  now: number;
  policy: Policy;
  facts: FactsView;
  neighbors: Iterable<Neighbor>;
  sources: ReadonlyMap<string, SourceStatus>;
  device: DevicePort[];
  ledger: ReadonlyMap<string, PortRecord>;
  /** only these ports (dirty ones); all managed ports when absent */
  only?: ReadonlySet<string>;
  confirm?: boolean;
}

export interface EngineOutput extends PlanOutput {
  desired: Map<string, PortDesire>;
  blind: string | null;
}

/** Rule 4: removals freeze while any configured vCenter is not synced since start. */
export function blindReason(policy: Policy, sources: ReadonlyMap<string, SourceStatus>): string | null {
  const blind: string[] = [];
  for (const name of policy.vcenters) {
    const s = sources.get(name);
    if (!s || s.state !== 'synced') blind.push(`vCenter ${name} ${s ? s.state : 'not yet synced'}`);
  }
  return blind.length ? blind.join(', ') : null;
}

export function computePlan(input: EngineInput): EngineOutput {
  const ctx = buildContext(input.facts, input.policy, liveNeighbors(input.neighbors, input.now));
  const ports = input.only ? input.device.filter((p) => input.only!.has(p.name)) : input.device;
  const desired = desiredState(ctx, ports);
  const blind = blindReason(input.policy, input.sources);
  const out = plan({
    now: input.now,
    policy: input.policy,
    device: input.device,
    desired,
    ledger: input.ledger,
    blind,
    confirm: input.confirm ?? false,
  });
  return { ...out, desired, blind };
}
