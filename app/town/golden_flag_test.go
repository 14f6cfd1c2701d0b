package town

// The golden package defines the -update flag; importing it here lets
// `go test ./views/... ./app/... -update` (make golden) run over this
// package too instead of failing on an unknown flag.
import _ "github.com/charmbracelet/x/exp/golden"
