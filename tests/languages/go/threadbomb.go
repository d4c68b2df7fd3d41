// expect: runtime_error
// exit: 2
// limits: --pids 16 --wall 30
// A thread bomb: each goroutine locks its OS thread and blocks in a raw
// syscall, so every new goroutine needs a new thread. At pids.max the
// runtime cannot make one (clone: EAGAIN) and dies with "runtime: failed
// to create new OS thread", exit 2. One goroutine at a time: the fatal
// error dumps every goroutine's stack, and an unbounded number of them
// can pass the 1 MiB output limit (output_limit instead).
package main

import (
	"runtime"
	"syscall"
)

func main() {
	started := make(chan bool)
	for {
		go func() {
			runtime.LockOSThread()
			started <- true
			ts := syscall.Timespec{Sec: 10}
			syscall.Nanosleep(&ts, nil)
		}()
		<-started
	}
}
