package models

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultPriority is P2, the priority a bead gets when none is given.
const DefaultPriority = 2

// ParsePriority accepts 0-4 or P0-P4 (any case).
func ParsePriority(in string) (int, error) {
	s := strings.TrimSpace(in)
	if len(s) > 1 && (s[0] == 'P' || s[0] == 'p') {
		s = s[1:]
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("priority must be between 0 and 4 (got %s)", in)
	}
	if err := ValidatePriority(n); err != nil {
		return 0, err
	}
	return n, nil
}

// ValidatePriority checks the 0-4 range.
func ValidatePriority(n int) error {
	if n < 0 || n > 4 {
		return fmt.Errorf("priority must be between 0 and 4 (got %d)", n)
	}
	return nil
}
