// The Driver contract against a real ovsdb-server + ovs-vswitchd; ground truth from ovs-vsctl.
import { OvsdbDriver } from '../../agent/drivers/ovsdb/driver.js';
import { silentLogger } from '../../agent/log.js';
import { startOvs } from '../helpers/ovs.js';
import { driverContract } from './driver.contract.js';

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
