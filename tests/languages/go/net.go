// expect: ok
// stdout: net=blocked
// Only lo exists in the sandbox's network namespace: no route out, and
// nothing listens on its own loopback (the host's is another namespace).
package main

import (
	"fmt"
	"net"
	"time"
)

func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func main() {
	open := false
	for _, a := range []string{"1.1.1.1:53", "127.0.0.1:22", "127.0.0.1:80", "127.0.0.1:5432"} {
		open = open || reachable(a)
	}
	if open {
		fmt.Println("net=open")
	} else {
		fmt.Println("net=blocked")
	}
}
