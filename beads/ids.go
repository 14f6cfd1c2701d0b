package beads

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Hash ID lengths (spec §4.6).
const (
	minHashLen = 5
	maxHashLen = 8
	// maxCollisionP is the accepted birthday-bound collision probability.
	maxCollisionP = 0.25
	noncesPerLen  = 10
)

// HashLength is the hash length L for a prefix that already has n top-level
// IDs: the smallest L in [5, 8] with 1 − exp(−n²/(2·36^L)) ≤ 0.25 (8 when
// none fits).
func HashLength(n int) int {
	for l := minHashLen; l <= maxHashLen; l++ {
		p := 1 - math.Exp(-float64(n)*float64(n)/(2*math.Pow(36, float64(l))))
		if p <= maxCollisionP {
			return l
		}
	}
	return maxHashLen
}

// HashID computes the hash part of an ID (spec §4.6): SHA-256 of
// "title|description|actor|created_at-unix-nanos|nonce"; its first 4 bytes
// (length 5–6) or 5 bytes (7–8) as a big-endian integer in lowercase base36,
// left-padded with '0', last length chars kept.
func HashID(title, description, actor string, created time.Time, nonce, length int) string {
	in := fmt.Sprintf("%s|%s|%s|%d|%d", title, description, actor, created.UnixNano(), nonce)
	sum := sha256.Sum256([]byte(in))
	var v uint64
	if length <= 6 {
		v = uint64(binary.BigEndian.Uint32(sum[:4]))
	} else {
		v = uint64(sum[0])<<32 | uint64(binary.BigEndian.Uint32(sum[1:5]))
	}
	s := strconv.FormatUint(v, 36)
	if len(s) < length {
		s = strings.Repeat("0", length-len(s)) + s
	}
	return s[len(s)-length:]
}

// topLevelCount counts the IDs "<prefix>-…" without a '.' (children). The
// count is cached in id_counts: filled by one scan, then kept exact by
// insertRow (bumpIDCounts) and cleared by imports.
func (t *Tx) topLevelCount(prefix string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT n FROM id_counts WHERE prefix = ?`, prefix).Scan(&n)
	if err == nil {
		return n, nil
	}
	if !isNoRows(err) {
		return 0, fmt.Errorf("count ids of prefix %s: %w", prefix, err)
	}
	// '.' sorts right after '-', so [p-, p.) is exactly the ids starting "p-".
	err = t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM issues WHERE id >= ? AND id < ? AND instr(id, '.') = 0`,
		prefix+"-", prefix+".").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count ids of prefix %s: %w", prefix, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO id_counts(prefix, n) VALUES(?, ?)`, prefix, n); err != nil {
		return 0, fmt.Errorf("cache id count of prefix %s: %w", prefix, err)
	}
	return n, nil
}

// bumpIDCountsSQL adds a new top-level id (?1) to every cached prefix count
// it belongs to.
const bumpIDCountsSQL = `UPDATE id_counts SET n = n + 1
	WHERE instr(?1, '.') = 0 AND ?1 >= prefix || '-' AND ?1 < prefix || '.'`

// newHashID allocates "<prefix>-<infix><hash>", trying nonces 0–9 at each
// length from HashLength(n) up to 8.
func (t *Tx) newHashID(prefix, infix, title, description, actor string, created time.Time) (string, error) {
	n, err := t.topLevelCount(prefix)
	if err != nil {
		return "", err
	}
	r := t.r()
	for l := HashLength(n); l <= maxHashLen; l++ {
		for nonce := 0; nonce < noncesPerLen; nonce++ {
			id := prefix + "-" + infix + HashID(title, description, actor, created, nonce, l)
			taken, err := r.exists(id)
			if err != nil {
				return "", err
			}
			if !taken {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("allocate id for prefix %s: every candidate is taken", prefix)
}

// ConvoyPrefix is the fixed prefix of convoy IDs.
const ConvoyPrefix = "hq-cv-"

// newConvoyID allocates "hq-cv-" + 5 chars of a-z2-7 from 3 random bytes.
func (t *Tx) newConvoyID() (string, error) {
	r := t.r()
	for range 100 {
		var raw [3]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", fmt.Errorf("convoy id: %w", err)
		}
		id := ConvoyPrefix + strings.ToLower(base32.StdEncoding.EncodeToString(raw[:])[:5])
		taken, err := r.exists(id)
		if err != nil {
			return "", err
		}
		if !taken {
			return id, nil
		}
	}
	return "", fmt.Errorf("convoy id: no free id after 100 tries")
}

// nextChildID allocates "<parent>.<n>" from the per-parent counter, skipping
// numbers already taken (e.g. by an import).
func (t *Tx) nextChildID(parent string) (string, error) {
	var last int
	err := t.tx.QueryRowContext(t.ctx, `SELECT last_child FROM child_counters WHERE parent_id = ?`, parent).Scan(&last)
	if err != nil && !isNoRows(err) {
		return "", fmt.Errorf("child counter of %s: %w", parent, err)
	}
	r := t.r()
	for {
		last++
		id := parent + "." + strconv.Itoa(last)
		taken, err := r.exists(id)
		if err != nil {
			return "", err
		}
		if taken {
			continue
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO child_counters(parent_id, last_child) VALUES(?, ?)
			ON CONFLICT(parent_id) DO UPDATE SET last_child = excluded.last_child`, parent, last); err != nil {
			return "", fmt.Errorf("child counter of %s: %w", parent, err)
		}
		return id, nil
	}
}
