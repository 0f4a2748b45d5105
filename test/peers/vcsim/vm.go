package main

// VMs and their vNICs, created through the simulator's own CreateVM_Task / ReconfigVM_Task
// with deterministic MACs; HostSystem.vm changes are re-emitted so watchers see them.

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// nicBacking is the backing of a vNIC on the named standard network or distributed portgroup.
func (l *Launcher) nicBacking(network string) (types.BaseVirtualDeviceBackingInfo, error) {
	if pg, ok := l.dvpgs[network]; ok {
		if pg.uplink {
			return nil, fmt.Errorf("%s is an uplink portgroup", network)
		}
		return &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
			Port: types.DistributedVirtualSwitchPortConnection{
				SwitchUuid:   l.switches[pg.dvs].uuid,
				PortgroupKey: pg.ref.Value,
			},
		}, nil
	}
	if ref, ok := l.networks[network]; ok {
		r := ref
		return &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: network},
			Network:                        &r,
		}, nil
	}
	return nil, fmt.Errorf("unknown network %q", network)
}

func (l *Launcher) nicDevice(n NicSpec, key int32, mac string) (types.BaseVirtualDevice, error) {
	backing, err := l.nicBacking(n.Network)
	if err != nil {
		return nil, err
	}
	if n.Mac != "" {
		mac = n.Mac
	}
	connected := n.Connected == nil || *n.Connected
	return &types.VirtualVmxnet3{VirtualVmxnet: types.VirtualVmxnet{VirtualEthernetCard: types.VirtualEthernetCard{
		VirtualDevice: types.VirtualDevice{
			Key:         key,
			Backing:     backing,
			Connectable: &types.VirtualDeviceConnectInfo{StartConnected: connected, Connected: connected, AllowGuestControl: true},
		},
		AddressType: string(types.VirtualEthernetCardMacTypeManual),
		MacAddress:  mac,
	}}}, nil
}

// nextSerial numbers VMs for their MACs; at most 16383 (the manual MAC range).
func (l *Launcher) nextSerial() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vmSerial >= 0x3fff {
		return 0, fmt.Errorf("too many VMs for deterministic MACs")
	}
	l.vmSerial++
	return l.vmSerial, nil
}

func (l *Launcher) createVM(spec *VMSpec, notify bool) (types.ManagedObjectReference, error) {
	var none types.ManagedObjectReference
	l.mu.Lock()
	host, ok := l.hosts[spec.Host]
	_, dup := l.vms[spec.Name]
	l.mu.Unlock()
	if !ok {
		return none, fmt.Errorf("unknown host %q", spec.Host)
	}
	if dup || spec.Name == "" {
		return none, fmt.Errorf("missing or duplicate VM name %q", spec.Name)
	}
	serial, err := l.nextSerial()
	if err != nil {
		return none, err
	}
	config := types.VirtualMachineConfigSpec{
		Name:    spec.Name,
		GuestId: string(types.VirtualMachineGuestOsIdentifierOtherGuest),
		Files:   &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[LocalDS_0] %s/%s.vmx", spec.Name, spec.Name)},
	}
	for n, nic := range spec.Nics {
		dev, err := l.nicDevice(nic, int32(-100-n), vmMAC(serial, n))
		if err != nil {
			return none, err
		}
		config.DeviceChange = append(config.DeviceChange, &types.VirtualDeviceConfigSpec{
			Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: dev,
		})
	}
	l.mu.Lock()
	pool := l.hostCluster[host].pool
	l.mu.Unlock()
	res, err := methods.CreateVM_Task(l.ctx, l.c, &types.CreateVM_Task{This: l.vmFolder, Config: config, Pool: pool, Host: &host})
	if err != nil {
		return none, err
	}
	out, err := taskResult(res.Returnval, nil)
	if err != nil {
		return none, err
	}
	ref := out.(types.ManagedObjectReference)
	l.mu.Lock()
	l.vms[spec.Name] = ref
	l.mu.Unlock()
	if spec.PowerOn == nil || *spec.PowerOn {
		if err := l.powerVM(ref, true); err != nil {
			return ref, err
		}
	}
	if notify {
		l.emitHostVMs(host)
	}
	return ref, nil
}

// emitHostVMs re-emits HostSystem.vm: the simulator edits the list without telling watchers.
func (l *Launcher) emitHostVMs(ref types.ManagedObjectReference) {
	h := hostMO(ref)
	simulator.Map.WithLock(h, func() {
		simulator.Map.Update(h, []types.PropertyChange{{Name: "vm", Val: append([]types.ManagedObjectReference(nil), h.Vm...)}})
	})
}

func (l *Launcher) destroyVM(ref types.ManagedObjectReference) error {
	vm := l.vmMO(ref)
	if vm == nil {
		return fmt.Errorf("unknown VM %s", ref.Value)
	}
	var state types.VirtualMachinePowerState
	var host types.ManagedObjectReference
	var name string
	simulator.Map.WithLock(vm, func() {
		state = vm.Runtime.PowerState
		host = *vm.Runtime.Host
		name = vm.Name
	})
	if state == types.VirtualMachinePowerStatePoweredOn {
		if err := l.powerVM(ref, false); err != nil {
			return err
		}
	}
	res, err := methods.Destroy_Task(l.ctx, l.c, &types.Destroy_Task{This: ref})
	if err != nil {
		return err
	}
	if _, err := taskResult(res.Returnval, nil); err != nil {
		return err
	}
	// Mend: a watcher whose filter names several types panics (connection reset) on a
	// queued change of an object no longer in the registry — e.g. the power-off just before
	// this destroy, in the same 250 ms batch. Keep the VM object registered, outside every
	// folder (so no view shows it again), and hide it from the launcher's own answers.
	simulator.Map.Put(vm)
	l.mu.Lock()
	delete(l.vms, name)
	l.zombies[ref] = true
	l.mu.Unlock()
	l.emitHostVMs(host)
	return nil
}

// addVnic adds a NIC on network; returns its device key and MAC.
func (l *Launcher) addVnic(ref types.ManagedObjectReference, nic NicSpec) (int32, string, error) {
	vm := l.vmMO(ref)
	if vm == nil {
		return 0, "", fmt.Errorf("unknown VM %s", ref.Value)
	}
	serial, err := l.nextSerial() // a fresh serial keeps the MAC unique
	if err != nil {
		return 0, "", err
	}
	dev, err := l.nicDevice(nic, -1, vmMAC(serial, 0))
	if err != nil {
		return 0, "", err
	}
	before := l.nicKeys(vm)
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: dev},
	}}
	res, err := methods.ReconfigVM_Task(l.ctx, l.c, &types.ReconfigVM_Task{This: ref, Spec: spec})
	if err != nil {
		return 0, "", err
	}
	if _, err := taskResult(res.Returnval, nil); err != nil {
		return 0, "", err
	}
	for key, mac := range l.nicKeys(vm) {
		if _, old := before[key]; !old {
			return key, mac, nil
		}
	}
	return 0, "", fmt.Errorf("new NIC not found")
}

func (l *Launcher) nicKeys(vm *simulator.VirtualMachine) map[int32]string {
	out := map[int32]string{}
	simulator.Map.WithLock(vm, func() {
		for _, d := range vm.Config.Hardware.Device {
			if c, ok := d.(types.BaseVirtualEthernetCard); ok {
				e := c.GetVirtualEthernetCard()
				out[e.Key] = e.MacAddress
			}
		}
	})
	return out
}

// removeVnic removes the NIC with the given device key or MAC.
func (l *Launcher) removeVnic(ref types.ManagedObjectReference, key int32, mac string) error {
	vm := l.vmMO(ref)
	if vm == nil {
		return fmt.Errorf("unknown VM %s", ref.Value)
	}
	var dev types.BaseVirtualDevice
	simulator.Map.WithLock(vm, func() {
		for _, d := range vm.Config.Hardware.Device {
			if c, ok := d.(types.BaseVirtualEthernetCard); ok {
				e := c.GetVirtualEthernetCard()
				if (key != 0 && e.Key == key) || (mac != "" && e.MacAddress == mac) {
					dev = d
				}
			}
		}
	})
	if dev == nil {
		return fmt.Errorf("no such NIC (key %d, mac %q)", key, mac)
	}
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: dev},
	}}
	res, err := methods.ReconfigVM_Task(l.ctx, l.c, &types.ReconfigVM_Task{This: ref, Spec: spec})
	if err != nil {
		return err
	}
	_, err = taskResult(res.Returnval, nil)
	return err
}
