package ptyhost

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// runHelper runs a small terminal program inside the test binary:
//
//	typist:  a line editor that echoes what is typed but ignores CR until
//	         PTYHOST_READY_MS after start (never with "never"); a submitted
//	         line prints "submitted: <line>".
//	hexdump: enables SGR mouse and bracketed paste, prints "ready", then
//	         prints each input read as `got "<quoted>"`.
//	ticker:  prints "tick N" lines, one every 2 ms, N from 1 to
//	         PTYHOST_TICKS, then "end".
func runHelper(name string) int {
	if name == "ticker" {
		n, _ := strconv.Atoi(os.Getenv("PTYHOST_TICKS"))
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for i := 1; i <= n; i++ {
			<-tick.C
			fmt.Printf("tick %d\n", i)
		}
		fmt.Print("end\n")
		return 0
	}
	c := exec.Command("stty", "raw", "-echo")
	c.Stdin = os.Stdin // stty works on the terminal on its stdin
	if err := c.Run(); err != nil {
		fmt.Println("stty:", err)
		return 2
	}
	switch name {
	case "typist":
		return typist()
	case "hexdump":
		fmt.Print("\x1b[?1000h\x1b[?1006h\x1b[?2004hready\r\n")
		buf := make([]byte, 256)
		for {
			n, err := os.Stdin.Read(buf)
			if err != nil {
				return 0
			}
			fmt.Printf("got %s\r\n", strconv.Quote(string(buf[:n])))
		}
	}
	return 2
}

func typist() int {
	start := time.Now()
	ready := os.Getenv("PTYHOST_READY_MS")
	never := ready == "never"
	ms, _ := strconv.Atoi(ready)
	if os.Getenv("PTYHOST_BRACKETED") == "1" {
		fmt.Print("\x1b[?2004h")
	}
	fmt.Print("booting\r\n> ")
	in := make(chan byte, 4096)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := os.Stdin.Read(buf)
			for _, b := range buf[:n] {
				in <- b
			}
			if err != nil {
				close(in)
				return
			}
		}
	}()
	var line []byte
	var esc []byte
	for b := range in {
		if len(esc) > 0 || b == 0x1b {
			// swallow bracketed-paste markers and other sequences
			esc = append(esc, b)
			if len(esc) > 1 && b >= 0x40 && b <= 0x7e && b != '[' {
				esc = esc[:0]
			}
			continue
		}
		switch {
		case b == '\r':
			if never || time.Since(start) < time.Duration(ms)*time.Millisecond {
				continue // not ready: the CR is lost
			}
			fmt.Printf("\r\nsubmitted: %s\r\n> ", line)
			line = line[:0]
		case b == '\n':
			line = append(line, ' ')
			fmt.Print(" ")
		case b >= 0x20:
			line = append(line, b)
			fmt.Printf("%c", b)
		}
	}
	return 0
}
