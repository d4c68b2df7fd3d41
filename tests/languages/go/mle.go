// expect: memory_limit
// limits: --memory 64m
// A heap bomb that touches every page, so the memory is really charged.
package main

func main() {
	var blocks [][]byte
	for {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = 1
		}
		blocks = append(blocks, b)
	}
}
