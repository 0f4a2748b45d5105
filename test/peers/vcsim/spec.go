package main

// The inventory a test asks for. Loaded from -spec FILE (JSON) or built from flags; every
// field has a default so `{}` gives a small but complete lab (see defaults()).

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
)

// VlanSpec is one of: vlan (0..4095), trunk ranges, or private VLAN. For standard
// portgroups only `vlan` is valid (4095 = all VLANs, as on ESXi).
type VlanSpec struct {
	Vlan  *int       `json:"vlan,omitempty"`
	Trunk [][2]int   `json:"trunk,omitempty"`
	Pvlan *PvlanSpec `json:"pvlan,omitempty"`
}

type PvlanSpec struct {
	Primary   int    `json:"primary"`
	Secondary int    `json:"secondary"`
	Type      string `json:"type,omitempty"` // isolated (default) | community | promiscuous
}

type PortgroupSpec struct {
	Name string `json:"name"`
	VlanSpec
	Vswitch string `json:"vswitch,omitempty"` // standard only; default vSwitch0
}

type VswitchSpec struct {
	Name    string   `json:"name"`
	Uplinks []string `json:"uplinks"` // pNIC devices, e.g. ["vmnic0"]
}

type HostSpec struct {
	Name  string   `json:"name"`
	Pnics []string `json:"pnics,omitempty"` // default vmnic0..vmnic{pnicCount-1}
	// PnicMacs sets some pNICs' MACs (e.g. to those of the veths an lldpd neighbour uses);
	// others get 00:50:56:aa:HH:NN.
	PnicMacs map[string]string `json:"pnicMacs,omitempty"`
	// Portgroups override or extend the spec-wide standard portgroups on this host (same name
	// = this host's VLAN for it).
	Portgroups []PortgroupSpec `json:"portgroups,omitempty"`
	Vswitches  []VswitchSpec   `json:"vswitches,omitempty"`
	VtepIP     string          `json:"vtepIp,omitempty"`
}

type DvsSpec struct {
	Name       string          `json:"name"`
	Uplinks    []string        `json:"uplinks,omitempty"` // pNIC devices on every member host; default last pNIC
	Hosts      []string        `json:"hosts,omitempty"`   // member host names; default all
	Portgroups []PortgroupSpec `json:"portgroups,omitempty"`
}

type VtepSpec struct {
	Portgroup string `json:"portgroup"` // standard portgroup or DVPG name the vmknics sit on
	Device    string `json:"device,omitempty"`
	// IPs are Base + host index (1-based) unless the host gives vtepIp.
	Base string `json:"base,omitempty"` // default 10.20.0.0
}

type NicSpec struct {
	Network   string `json:"network"`
	Mac       string `json:"mac,omitempty"`
	Connected *bool  `json:"connected,omitempty"`
}

type VMSpec struct {
	Name    string    `json:"name"`
	Host    string    `json:"host"`
	Nics    []NicSpec `json:"nics,omitempty"`
	PowerOn *bool     `json:"powerOn,omitempty"` // default true
}

type Spec struct {
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"`
	Datacenter string `json:"datacenter,omitempty"`
	Cluster    string `json:"cluster,omitempty"`
	// Collector: "simulator" (govmomi's own WaitForUpdatesEx: a full re-collect per change, on a
	// 250 ms tick) or "incremental" (collector.go: per-change reads, immediate answers, paging).
	Collector string `json:"collector,omitempty"`
	// ClusterSize hosts per cluster (default 32); more hosts make clusters Cluster-01, -02…
	ClusterSize int `json:"clusterSize,omitempty"`

	Hosts       []HostSpec `json:"hosts,omitempty"`
	HostCount   int        `json:"hostCount,omitempty"`   // generated hosts after the listed ones
	HostPattern string     `json:"hostPattern,omitempty"` // default esx-%02d.lab
	PnicCount   int        `json:"pnicCount,omitempty"`   // default 2

	Vswitches  []VswitchSpec   `json:"vswitches,omitempty"`  // default vSwitch0 on vmnic0
	Portgroups []PortgroupSpec `json:"portgroups,omitempty"` // standard, on every host
	Switches   []DvsSpec       `json:"switches,omitempty"`
	Vtep       *VtepSpec       `json:"vtep,omitempty"`

	VMs        []VMSpec `json:"vms,omitempty"`
	VMCount    int      `json:"vmCount,omitempty"`    // generated VMs, spread round-robin over hosts
	VMPattern  string   `json:"vmPattern,omitempty"`  // default vm-%05d
	VMNetworks []string `json:"vmNetworks,omitempty"` // networks of generated VMs' NICs (one NIC each, round-robin)
}

func loadSpec(path string) (*Spec, error) {
	s := &Spec{}
	if path != "" {
		data, err := ioutil.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, s); err != nil {
			return nil, fmt.Errorf("spec %s: %w", path, err)
		}
	}
	return s, nil
}

func intp(v int) *int { return &v }

// defaults fills what the spec leaves out and expands generated hosts and VMs.
func (s *Spec) defaults() error {
	if s.Username == "" {
		s.Username = "vmtrace@vsphere.local"
	}
	if s.Password == "" {
		s.Password = "vmtrace-pass"
	}
	if s.Datacenter == "" {
		s.Datacenter = "DC0"
	}
	if s.Cluster == "" {
		s.Cluster = "C0"
	}
	switch s.Collector {
	case "":
		s.Collector = "simulator"
	case "simulator", "incremental":
	default:
		return fmt.Errorf("collector %q: want simulator or incremental", s.Collector)
	}
	if s.ClusterSize <= 0 {
		s.ClusterSize = 32
	}
	if s.HostPattern == "" {
		s.HostPattern = "esx-%02d.lab"
	}
	if s.PnicCount == 0 {
		s.PnicCount = 2
	}
	if s.VMPattern == "" {
		s.VMPattern = "vm-%05d"
	}
	if len(s.Hosts) == 0 && s.HostCount == 0 {
		s.HostCount = 2
	}
	for i := 0; i < s.HostCount; i++ {
		s.Hosts = append(s.Hosts, HostSpec{Name: fmt.Sprintf(s.HostPattern, len(s.Hosts)+1)})
	}
	s.HostCount = 0
	if len(s.Vswitches) == 0 {
		s.Vswitches = []VswitchSpec{{Name: "vSwitch0", Uplinks: []string{"vmnic0"}}}
	}
	if s.Portgroups == nil && len(s.Switches) == 0 {
		s.Portgroups = []PortgroupSpec{{Name: "VM Network", VlanSpec: VlanSpec{Vlan: intp(0)}}}
	}
	seen := map[string]bool{}
	for i := range s.Hosts {
		h := &s.Hosts[i]
		if h.Name == "" || seen[h.Name] {
			return fmt.Errorf("host %d: missing or duplicate name %q", i, h.Name)
		}
		seen[h.Name] = true
		if len(h.Pnics) == 0 {
			for n := 0; n < s.PnicCount; n++ {
				h.Pnics = append(h.Pnics, fmt.Sprintf("vmnic%d", n))
			}
		}
	}
	for i := range s.Switches {
		d := &s.Switches[i]
		if d.Name == "" {
			d.Name = fmt.Sprintf("DVS%d", i)
		}
		if len(d.Uplinks) == 0 {
			d.Uplinks = []string{fmt.Sprintf("vmnic%d", s.PnicCount-1)}
		}
		if len(d.Hosts) == 0 {
			for _, h := range s.Hosts {
				d.Hosts = append(d.Hosts, h.Name)
			}
		}
	}
	if s.Vtep != nil {
		if s.Vtep.Device == "" {
			s.Vtep.Device = "vmk1"
		}
		if s.Vtep.Base == "" {
			s.Vtep.Base = "10.20.0.0"
		}
	}
	if s.VMCount > 0 {
		nets := s.VMNetworks
		if len(nets) == 0 {
			nets = s.allNetworkNames()
		}
		for i := 0; i < s.VMCount; i++ {
			vm := VMSpec{
				Name: fmt.Sprintf(s.VMPattern, len(s.VMs)+1),
				Host: s.Hosts[i%len(s.Hosts)].Name,
			}
			if len(nets) > 0 {
				vm.Nics = []NicSpec{{Network: nets[i%len(nets)]}}
			}
			s.VMs = append(s.VMs, vm)
		}
		s.VMCount = 0
	}
	return nil
}

// allNetworkNames lists VM networks: standard portgroups then distributed ones.
func (s *Spec) allNetworkNames() []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, pg := range s.Portgroups {
		add(pg.Name)
	}
	for _, h := range s.Hosts {
		for _, pg := range h.Portgroups {
			add(pg.Name)
		}
	}
	for _, d := range s.Switches {
		for _, pg := range d.Portgroups {
			add(pg.Name)
		}
	}
	return out
}

// hostPortgroups is the standard portgroups of one host: the spec-wide ones with the host's
// own overriding by name.
func (s *Spec) hostPortgroups(h *HostSpec) []PortgroupSpec {
	var out []PortgroupSpec
	idx := map[string]int{}
	for _, list := range [][]PortgroupSpec{s.Portgroups, h.Portgroups} {
		for _, pg := range list {
			if pg.Vswitch == "" {
				pg.Vswitch = "vSwitch0"
			}
			if pg.Vlan == nil && pg.Trunk == nil && pg.Pvlan == nil {
				pg.Vlan = intp(0)
			}
			if i, ok := idx[pg.Name]; ok {
				out[i] = pg
				continue
			}
			idx[pg.Name] = len(out)
			out = append(out, pg)
		}
	}
	return out
}
