// expect: ok
// stdout: procs=1 pid1=hidden
// The pid namespace and hidepid=invisible: the program sees only itself
// (its threads are not /proc entries), not the sandbox's init (pid 1) nor
// any host process.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		os.Exit(2)
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			n++
		}
	}
	pid1 := "hidden"
	if _, err := os.Stat("/proc/1"); err == nil {
		pid1 = "visible"
	}
	fmt.Printf("procs=%d pid1=%s\n", n, pid1)
}
