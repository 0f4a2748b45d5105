import { MemoryDriver } from '../../agent/drivers/memory.js';
import { driverContract, vtepContract } from './driver.contract.js';

driverContract('memory', async () => {
  const names = ['swp1', 'swp2', 'swp3', 'swp4'];
  const driver = new MemoryDriver(names.map((name, i) => ({ name, interfaces: [name], trunks: [1], tag: null, ifIndex: i + 3 })));
  return {
    driver,
    ports: names,
    async operatorSetTrunks(port, vlans) {
      driver.operatorSetTrunks(port, vlans);
    },
    async readTrunks(port) {
      return driver.trunksOf(port);
    },
    outage: {
      async begin() {
        driver.disconnect();
      },
      async end() {
        driver.reconnect();
      },
    },
    async teardown() {},
  };
});

vtepContract('memory', async () => {
  const names = ['swp1', 'swp2'];
  const driver = new MemoryDriver(names.map((name, i) => ({ name, interfaces: [name], trunks: [1], tag: null, ifIndex: i + 3 })));
  return {
    driver,
    ports: names,
    async operatorBind(port, vlan, vni) {
      driver.vtep.operatorBind(port, vlan, vni);
    },
    async operatorAddRemoteMac(vni, mac, vtep) {
      driver.vtep.operatorAddRemoteMac(vni, mac, vtep);
    },
    // the in-memory device is its own ground truth
    readVtep: () => driver.vtep.read(),
    async teardown() {},
  };
});
