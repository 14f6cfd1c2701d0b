//go:build !linux && !darwin

package town

import (
	"errors"
	"net"
)

// checkPeer refuses every connection where peer credentials cannot be
// read: the socket must answer only same-uid peers (spec R9), and gt
// supports Linux and macOS only.
func checkPeer(net.Conn) error {
	return errors.New("permission denied: peer credentials are not supported on this platform")
}
