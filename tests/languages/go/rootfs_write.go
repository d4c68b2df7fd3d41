// expect: ok
// stdout: root=readonly
// The rootfs, /code and (for runs) /box are read-only; only /tmp is writable.
package main

import (
	"fmt"
	"os"
)

func main() {
	ok := true
	for _, p := range []string{"/etc/x", "/usr/x", "/x", "/code/x", "/box/x", "/box/main"} {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0644); err == nil {
			f.Close()
			ok = false
		}
	}
	if err := os.WriteFile("/tmp/x", []byte("x"), 0644); err != nil {
		os.Exit(2)
	}
	if ok {
		fmt.Println("root=readonly")
	} else {
		fmt.Println("root=writable")
	}
}
