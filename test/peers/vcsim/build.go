package main

// Builds the inventory of a Spec in a govmomi 0.24 simulator, through the simulator's own
// methods (in-process client) where they work, and writing what they lack (DESIGN §7 gaps)
// straight into the objects before any client connects.

import (
	"context"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"sync"
	"text/template"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type clusterInfo struct {
	ref, pool types.ManagedObjectReference
	name      string
}

type dvpgInfo struct {
	ref    types.ManagedObjectReference
	dvs    string // DVS name
	uplink bool
}

type dvsInfo struct {
	ref        types.ManagedObjectReference
	uuid       string
	spec       DvsSpec
	uplinkPg   types.ManagedObjectReference
	uplinkKeys []string // uplink port keys, one per uplink name
}

// Launcher owns the simulator and the bookkeeping the control endpoint needs.
type Launcher struct {
	spec   *Spec
	model  *simulator.Model
	server *simulator.Server
	c      *vim25.Client // in-process client (internal session, not listed in sessionList)
	ctx    context.Context
	dsDir  string

	dc, vmFolder, netFolder types.ManagedObjectReference
	dcName                  string

	mu          sync.Mutex // guards the maps below and the counters
	hosts       map[string]types.ManagedObjectReference
	hostIndex   map[types.ManagedObjectReference]int // 1-based, for MACs and IPs
	hostName    map[types.ManagedObjectReference]string
	hostCluster map[types.ManagedObjectReference]*clusterInfo
	hostSpecs   map[string]*HostSpec
	networks    map[string]types.ManagedObjectReference // standard Network objects by name
	dvpgs       map[string]dvpgInfo
	switches    map[string]*dvsInfo
	vms         map[string]types.ManagedObjectReference
	zombies     map[types.ManagedObjectReference]bool // destroyed VMs kept registered (destroyVM)
	vmSerial    int
	ownKeys     map[string]bool // sessions of the launcher itself (floor client)
	floor       *floorWatcher   // guarded by mu
	frozen      *freezer
	outage      outageState
}

func newLauncher(spec *Spec) *Launcher {
	return &Launcher{
		spec:        spec,
		ctx:         context.Background(),
		hosts:       map[string]types.ManagedObjectReference{},
		hostIndex:   map[types.ManagedObjectReference]int{},
		hostName:    map[types.ManagedObjectReference]string{},
		hostCluster: map[types.ManagedObjectReference]*clusterInfo{},
		hostSpecs:   map[string]*HostSpec{},
		networks:    map[string]types.ManagedObjectReference{},
		dvpgs:       map[string]dvpgInfo{},
		switches:    map[string]*dvsInfo{},
		vms:         map[string]types.ManagedObjectReference{},
		zombies:     map[types.ManagedObjectReference]bool{},
		ownKeys:     map[string]bool{},
		frozen:      newFreezer(),
	}
}

// taskResult returns the result of a simulator task; simulator tasks run synchronously, so
// the task is finished when its method returns.
func taskResult(ref types.ManagedObjectReference, err error) (types.AnyType, error) {
	if err != nil {
		return nil, err
	}
	t, ok := simulator.Map.Get(ref).(*simulator.Task)
	if !ok {
		return nil, fmt.Errorf("task %s not found", ref.Value)
	}
	var info types.TaskInfo
	simulator.Map.WithLock(t, func() { info = t.Info })
	if info.Error != nil {
		return nil, fmt.Errorf("%s: %s %T", info.Name, info.Error.LocalizedMessage, info.Error.Fault)
	}
	return info.Result, nil
}

func (l *Launcher) build() error {
	s := l.spec
	l.model = simulator.VPX()
	l.model.Datacenter = 0 // we build our own, with our names
	l.model.Host, l.model.Cluster, l.model.ClusterHost, l.model.Machine = 0, 0, 0, 0
	l.model.Portgroup, l.model.Datastore, l.model.Autostart = 0, 0, false
	if err := l.model.Create(); err != nil {
		return err
	}
	c, err := vim25.NewClient(l.ctx, l.model.Service)
	if err != nil {
		return err
	}
	l.c = c
	ctx := l.ctx

	root := object.NewRootFolder(c)
	dc, err := root.CreateDatacenter(ctx, s.Datacenter)
	if err != nil {
		return err
	}
	l.dc, l.dcName = dc.Reference(), s.Datacenter
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	l.vmFolder, l.netFolder = folders.VmFolder.Reference(), folders.NetworkFolder.Reference()
	// Hosts go into clusters of ClusterSize (vSphere allows 96; the simulator checks every
	// host of a VM's cluster on each DVS NIC, so huge clusters also cost build time).
	nclusters := (len(s.Hosts) + s.ClusterSize - 1) / s.ClusterSize
	for k := 0; k < nclusters; k++ {
		name := s.Cluster
		if nclusters > 1 {
			name = fmt.Sprintf("%s-%02d", s.Cluster, k+1)
		}
		cluster, err := folders.HostFolder.CreateCluster(ctx, name, types.ClusterConfigSpecEx{})
		if err != nil {
			return err
		}
		end := (k + 1) * s.ClusterSize
		if end > len(s.Hosts) {
			end = len(s.Hosts)
		}
		if err := l.addHosts(cluster, k*s.ClusterSize, end); err != nil {
			return err
		}
		pool, err := cluster.ResourcePool(ctx)
		if err != nil {
			return err
		}
		info := &clusterInfo{ref: cluster.Reference(), pool: pool.Reference(), name: name}
		for _, h := range s.Hosts[k*s.ClusterSize : end] {
			l.hostCluster[l.hosts[h.Name]] = info
		}
	}
	if err := l.addDatastore(); err != nil {
		return err
	}
	if err := l.addStandardNetworks(); err != nil {
		return err
	}
	for i := range s.Switches {
		if err := l.addSwitch(&s.Switches[i]); err != nil {
			return err
		}
	}
	for _, name := range l.hostOrder() {
		l.writeHostNetwork(l.hosts[name], false)
	}
	l.writeNetworkHosts(false)
	for _, d := range l.switches {
		l.writeDvsHosts(d, false)
	}
	mendEventTemplates()
	for i := range s.VMs {
		if _, err := l.createVM(&s.VMs[i], false); err != nil {
			return fmt.Errorf("vm %s: %w", s.VMs[i].Name, err)
		}
	}
	return nil
}

func (l *Launcher) hostOrder() []string {
	out := make([]string, 0, len(l.spec.Hosts))
	for _, h := range l.spec.Hosts {
		out = append(out, h.Name)
	}
	return out
}

func (l *Launcher) addHosts(cluster *object.ClusterComputeResource, from, to int) error {
	for i := from; i < to; i++ {
		h := &l.spec.Hosts[i]
		task, err := cluster.AddHost(l.ctx, types.HostConnectSpec{HostName: h.Name}, true, nil, nil)
		if err != nil {
			return err
		}
		res, err := taskResult(task.Reference(), nil)
		if err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		ref := res.(types.ManagedObjectReference)
		l.hosts[h.Name] = ref
		l.hostIndex[ref] = i + 1
		l.hostName[ref] = h.Name
		l.hostSpecs[h.Name] = h
	}
	return nil
}

func (l *Launcher) addDatastore() error {
	// The simulator writes a few files per VM: keep them in memory when we can.
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	removeStaleDatastores(base)
	dir, err := ioutil.TempDir(base, fmt.Sprintf("vmtrace-vcsim-ds-%d-", os.Getpid()))
	if err != nil {
		return err
	}
	l.dsDir = dir
	for _, name := range l.hostOrder() {
		host := object.NewHostSystem(l.c, l.hosts[name])
		dss, err := host.ConfigManager().DatastoreSystem(l.ctx)
		if err != nil {
			return err
		}
		if _, err := dss.CreateLocalDatastore(l.ctx, "LocalDS_0", dir); err != nil {
			return err
		}
	}
	return nil
}

// removeStaleDatastores deletes datastore dirs of launchers that died without cleaning up
// (SIGKILL: a test's kill()/restart()), named vmtrace-vcsim-ds-<pid>-….
func removeStaleDatastores(base string) {
	if base == "" {
		base = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(base, "vmtrace-vcsim-ds-*-*"))
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "vmtrace-vcsim-ds-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			_ = os.RemoveAll(d)
		}
	}
}

func (l *Launcher) cleanup() {
	if l.dsDir != "" {
		_ = os.RemoveAll(l.dsDir)
	}
}

// findChild looks a network-folder child up by name.
func (l *Launcher) findNetwork(name string) *types.ManagedObjectReference {
	f := simulator.Map.Get(l.netFolder).(*simulator.Folder)
	var found *types.ManagedObjectReference
	simulator.Map.WithLock(f, func() {
		if e := simulator.Map.FindByName(name, f.ChildEntity); e != nil {
			ref := e.Reference()
			found = &ref
		}
	})
	return found
}

// addStandardNetworks creates one Network object per standard portgroup name (the simulator's
// AddPortGroup does that once; it refuses the name on a second host, so the per-host
// portgroups themselves are written by writeHostNetwork).
func (l *Launcher) addStandardNetworks() error {
	for _, name := range l.standardNames() {
		if ref := l.findNetwork(name); ref != nil {
			l.networks[name] = *ref
			continue
		}
		first := l.hosts[l.spec.Hosts[0].Name]
		h := simulator.Map.Get(first).(*simulator.HostSystem)
		ns := object.NewHostNetworkSystem(l.c, *h.ConfigManager.NetworkSystem)
		if err := ns.AddPortGroup(l.ctx, types.HostPortGroupSpec{Name: name, VswitchName: "vSwitch0"}); err != nil {
			return fmt.Errorf("portgroup %s: %w", name, err)
		}
		ref := l.findNetwork(name)
		if ref == nil {
			return fmt.Errorf("portgroup %s: network not created", name)
		}
		l.networks[name] = *ref
	}
	return nil
}

// standardNames lists standard portgroup names that VMs can use (have a Network object).
func (l *Launcher) standardNames() []string {
	var out []string
	seen := map[string]bool{}
	for i := range l.spec.Hosts {
		for _, pg := range l.spec.hostPortgroups(&l.spec.Hosts[i]) {
			if !seen[pg.Name] {
				seen[pg.Name] = true
				out = append(out, pg.Name)
			}
		}
	}
	return out
}

func dvsVlan(v VlanSpec) types.BaseVmwareDistributedVirtualSwitchVlanSpec {
	switch {
	case v.Trunk != nil:
		spec := &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{}
		for _, r := range v.Trunk {
			spec.VlanId = append(spec.VlanId, types.NumericRange{Start: int32(r[0]), End: int32(r[1])})
		}
		return spec
	case v.Pvlan != nil:
		return &types.VmwareDistributedVirtualSwitchPvlanSpec{PvlanId: int32(v.Pvlan.Secondary)}
	case v.Vlan != nil:
		return &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: int32(*v.Vlan)}
	}
	return &types.VmwareDistributedVirtualSwitchVlanIdSpec{}
}

func (l *Launcher) addSwitch(d *DvsSpec) error {
	var create types.DVSCreateSpec
	create.ConfigSpec = &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{Name: d.Name}}
	netFolder := object.NewFolder(l.c, l.netFolder)
	task, err := netFolder.CreateDVS(l.ctx, create)
	if err != nil {
		return err
	}
	res, err := taskResult(task.Reference(), nil)
	if err != nil {
		return fmt.Errorf("dvs %s: %w", d.Name, err)
	}
	ref := res.(types.ManagedObjectReference)
	dvs := object.NewDistributedVirtualSwitch(l.c, ref)
	info := &dvsInfo{ref: ref, spec: *d}
	l.switches[d.Name] = info

	members := &types.VMwareDVSConfigSpec{}
	for _, name := range l.hostOrder() {
		members.Host = append(members.Host, types.DistributedVirtualSwitchHostMemberConfigSpec{
			Operation: string(types.ConfigSpecOperationAdd),
			Host:      l.hosts[name],
		})
	}
	task, err = dvs.Reconfigure(l.ctx, members)
	if _, err = taskResult(task.Reference(), err); err != nil {
		return fmt.Errorf("dvs %s members: %w", d.Name, err)
	}

	// CreateDVS made the uplink portgroup (DVS-DVUplinks-N); we mark it as such below.
	sw := simulator.Map.Get(ref).(*simulator.DistributedVirtualSwitch)
	var uplinkRef types.ManagedObjectReference
	simulator.Map.WithLock(sw, func() { uplinkRef = sw.Portgroup[0] })
	up := simulator.Map.Get(uplinkRef).(*simulator.DistributedVirtualPortgroup)
	l.dvpgs[up.Name] = dvpgInfo{ref: uplinkRef, dvs: d.Name, uplink: true}
	info.uplinkPg = uplinkRef

	var specs []types.DVPortgroupConfigSpec
	for _, pg := range d.Portgroups {
		specs = append(specs, types.DVPortgroupConfigSpec{
			Name: pg.Name,
			Type: "earlyBinding",
			DefaultPortConfig: &types.VMwareDVSPortSetting{
				Vlan: dvsVlan(pg.VlanSpec),
			},
		})
	}
	if len(specs) > 0 {
		task, err = dvs.AddPortgroup(l.ctx, specs)
		if _, err = taskResult(task.Reference(), err); err != nil {
			return fmt.Errorf("dvs %s portgroups: %w", d.Name, err)
		}
	}
	for _, spec := range specs {
		pgRef := l.findNetwork(spec.Name)
		if pgRef == nil {
			return fmt.Errorf("dvpg %s not created", spec.Name)
		}
		l.dvpgs[spec.Name] = dvpgInfo{ref: *pgRef, dvs: d.Name}
	}

	// Mend: the uplink portgroup, the DVS's uuid, uplink port names and PVLAN map.
	up.Config.Uplink = types.NewBool(true)
	info.uuid = sw.Uuid
	cfg := sw.Config.(*types.VMwareDVSConfigInfo)
	cfg.UplinkPortgroup = []types.ManagedObjectReference{info.uplinkPg}
	names := make([]string, len(d.Uplinks))
	for i := range d.Uplinks {
		names[i] = fmt.Sprintf("Uplink %d", i+1)
	}
	cfg.UplinkPortPolicy = &types.DVSNameArrayUplinkPortPolicy{UplinkPortName: names}
	cfg.PvlanConfig = pvlanMap(d.Portgroups)
	return nil
}

// pvlanMap is the DVS's private VLAN table: each secondary with its primary (and the
// primary's promiscuous entry, as vCenter keeps it).
func pvlanMap(pgs []PortgroupSpec) []types.VMwareDVSPvlanMapEntry {
	var out []types.VMwareDVSPvlanMapEntry
	seen := map[[2]int]bool{}
	add := func(p, s int, kind string) {
		if !seen[[2]int{p, s}] {
			seen[[2]int{p, s}] = true
			out = append(out, types.VMwareDVSPvlanMapEntry{PrimaryVlanId: int32(p), SecondaryVlanId: int32(s), PvlanType: kind})
		}
	}
	for _, pg := range pgs {
		if pg.Pvlan == nil {
			continue
		}
		kind := pg.Pvlan.Type
		if kind == "" {
			kind = "isolated"
		}
		add(pg.Pvlan.Primary, pg.Pvlan.Primary, "promiscuous")
		if pg.Pvlan.Secondary != pg.Pvlan.Primary {
			add(pg.Pvlan.Primary, pg.Pvlan.Secondary, kind)
		}
	}
	return out
}

// runTask calls a simulator task method through the in-process client.
func (l *Launcher) powerVM(ref types.ManagedObjectReference, on bool) error {
	var err error
	if on {
		var res *types.PowerOnVM_TaskResponse
		res, err = methods.PowerOnVM_Task(l.ctx, l.c, &types.PowerOnVM_Task{This: ref})
		if err == nil {
			_, err = taskResult(res.Returnval, nil)
		}
	} else {
		var res *types.PowerOffVM_TaskResponse
		res, err = methods.PowerOffVM_Task(l.ctx, l.c, &types.PowerOffVM_Task{This: ref})
		if err == nil {
			_, err = taskResult(res.Returnval, nil)
		}
	}
	return err
}

func hostMO(ref types.ManagedObjectReference) *simulator.HostSystem {
	h, _ := simulator.Map.Get(ref).(*simulator.HostSystem)
	return h
}

// vmMO is a live VM (not one kept registered after destroy, see destroyVM).
func (l *Launcher) vmMO(ref types.ManagedObjectReference) *simulator.VirtualMachine {
	l.mu.Lock()
	dead := l.zombies[ref]
	l.mu.Unlock()
	if dead {
		return nil
	}
	return vmMO(ref)
}

func vmMO(ref types.ManagedObjectReference) *simulator.VirtualMachine {
	v, _ := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	return v
}

// mendEventTemplates fixes event message templates that do not parse (0.24's
// VmMigratedEvent has "{{.SourceHost.Name}," and makes PostEvent panic).
func mendEventTemplates() {
	m := simulator.Map.EventManager()
	simulator.Map.WithLock(m, func() {
		for i := range m.Description.EventInfo {
			info := &m.Description.EventInfo[i]
			if _, err := template.New(info.Key).Parse(info.FullFormat); err != nil {
				info.FullFormat = info.Description
			}
			if info.Key == "VmMigratedEvent" {
				info.FullFormat = "Migration of virtual machine {{.Vm.Name}} from {{.SourceHost.Name}} to {{.Host.Name}} completed"
			}
		}
	})
}

func simulatorWithLock(obj mo.Reference, f func()) { simulator.Map.WithLock(obj, f) }
