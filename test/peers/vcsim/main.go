// Command vcsim is vmtrace's vCenter test peer: govmomi 0.24's simulator with the inventory a
// test asks for, the gaps of DESIGN §7 mended in-process, TLS on, and a JSON control endpoint.
//
//	vcsim [-spec FILE] [-hosts N] [-vms N] [-port P] [-control-port P] [-log FILE] [-floor]
//
// Prints one JSON line on stdout once serving:
//
//	{"url":"https://127.0.0.1:P/sdk","thumbprint":"AB:CD:…","control":"http://127.0.0.1:Q",
//	 "username":…,"password":…,"buildMs":…}
//
// then serves until SIGTERM/SIGINT or stdin closes (so it never outlives its test).
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func thumbprint(raw []byte) string {
	sum := sha256.Sum256(raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "vcsim: %v\n", err)
	os.Exit(1)
}

func main() {
	specFile := flag.String("spec", "", "inventory spec (JSON)")
	hosts := flag.Int("hosts", 0, "generated hosts (added to the spec's)")
	vms := flag.Int("vms", 0, "generated VMs (added to the spec's)")
	port := flag.Int("port", 0, "SOAP port on 127.0.0.1 (0: any free port)")
	controlPort := flag.Int("control-port", 0, "control port on 127.0.0.1 (0: any free port)")
	logFile := flag.String("log", "", "simulator log file (default: discarded)")
	floor := flag.Bool("floor", false, "start the bare WaitForUpdatesEx floor client at once")
	watchStdin := flag.Bool("stdin", true, "exit when stdin closes")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the build to FILE")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		_ = pprof.StartCPUProfile(f)
	}

	log.SetOutput(ioutil.Discard)
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0644)
		if err != nil {
			fail(err)
		}
		log.SetOutput(f)
	}

	spec, err := loadSpec(*specFile)
	if err != nil {
		fail(err)
	}
	spec.HostCount += *hosts
	spec.VMCount += *vms
	if err := spec.defaults(); err != nil {
		fail(err)
	}

	// A restart asks for the same port: fail before a long build if it is taken.
	if *port != 0 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
		if err != nil {
			fail(err)
		}
		_ = ln.Close()
	}

	start := time.Now()
	// The build allocates a lot of short-lived garbage: collect less often while building.
	gc := debug.SetGCPercent(400)
	l := newLauncher(spec)
	if err := l.build(); err != nil {
		l.cleanup()
		fail(err)
	}
	buildMs := time.Since(start).Milliseconds()
	debug.SetGCPercent(gc)
	debug.FreeOSMemory()
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}

	if spec.Collector == "incremental" {
		useIncrementalCollector(&l.c.ServiceContent)
	}
	svc := l.model.Service
	svc.TLS = new(tls.Config)
	svc.Listen = &url.URL{Host: fmt.Sprintf("127.0.0.1:%d", *port), User: url.UserPassword(spec.Username, spec.Password)}
	l.server = svc.NewServer()
	// Set before anyone knows the URL: every SOAP answer passes the freezer.
	l.server.Config.Handler = l.frozen.wrap(l.server.Config.Handler)

	ctl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *controlPort))
	if err != nil {
		l.cleanup()
		fail(err)
	}
	go l.serveControl(ctl)

	if *floor {
		if err := l.startFloor(nil); err != nil {
			l.cleanup()
			fail(err)
		}
	}

	u := *l.server.URL
	u.User = nil
	line, _ := json.Marshal(map[string]interface{}{
		"url":        u.String(),
		"thumbprint": thumbprint(l.server.Certificate().Raw),
		"control":    "http://" + ctl.Addr().String(),
		"username":   spec.Username,
		"password":   spec.Password,
		"buildMs":    buildMs,
	})
	fmt.Println(string(line))

	done := make(chan os.Signal, 1)
	signal.Notify(done, syscall.SIGTERM, syscall.SIGINT)
	if *watchStdin {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			done <- syscall.SIGTERM
		}()
	}
	<-done
	l.stopFloor()
	l.frozen.set(false)
	l.server.CloseClientConnections()
	_ = ctl.Close()
	l.cleanup()
}
