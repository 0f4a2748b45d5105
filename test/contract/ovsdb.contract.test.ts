// The Driver contract against a real ovsdb-server + ovs-vswitchd; ground truth from ovs-vsctl.
import { OvsdbDriver } from '../../agent/drivers/ovsdb/driver.js';
import { silentLogger } from '../../agent/log.js';
import { startOvs } from '../helpers/ovs.js';
import { driverContract, vtepContract } from './driver.contract.js';

driverContract('ovsdb', async () => {
  const ovs = await startOvs({ ports: 4, bridge: 'br0', trunks: [1] });
  const driver = new OvsdbDriver({
    endpoint: ovs.endpoint,
    bridge: 'br0',
    logger: silentLogger(),
    timeoutMs: 3000,
    backoff: { initialMs: 20, maxMs: 500 },
  });
  return {
    driver,
    ports: ovs.portNames,
    async operatorSetTrunks(port, vlans) {
      await ovs.vsctl('set', 'port', port, vlans.length > 0 ? `trunks=${vlans.join(',')}` : 'trunks=[]');
    },
    readTrunks: (port) => ovs.trunksOf(port),
    outage: { begin: () => ovs.killDb(), end: () => ovs.restartDb() },
    teardown: () => ovs.stop(),
  };
});

vtepContract('ovsdb', async () => {
  const ovs = await startOvs({ ports: 2, bridge: 'br0', trunks: [1] });
  // The hardware_vtep side of the switch: a Physical_Switch named like the bridge, its ports.
  await ovs.vtepctl('add-ps', 'br0', ...ovs.portNames.flatMap((p) => ['--', 'add-port', 'br0', p]));
  const operatorLs = async (vni: number): Promise<string> => {
    const ls = `op-${vni}`;
    await ovs.vtepctl('--may-exist', 'add-ls', ls, '--', 'set', 'logical_switch', ls, `tunnel_key=${vni}`);
    return ls;
  };
  const driver = new OvsdbDriver({
    endpoint: ovs.endpoint,
    bridge: 'br0',
    vtepEndpoint: ovs.endpoint,
    logger: silentLogger(),
    timeoutMs: 3000,
  });
  return {
    driver,
    ports: ovs.portNames,
    async operatorBind(port, vlan, vni) {
      await ovs.vtepctl('bind-ls', 'br0', port, String(vlan), await operatorLs(vni));
    },
    async operatorAddRemoteMac(vni, mac, vtep) {
      await ovs.vtepctl('add-ucast-remote', await operatorLs(vni), mac, vtep);
    },
    readVtep: () => ovs.vtepState('br0'),
    teardown: () => ovs.stop(),
  };
});
