package screen

// cell is one grid cell: 8 bytes, no pointers, so a grid is one flat
// allocation the garbage collector never scans.
type cell struct {
	// ch is 0 for a blank, a rune, or clusterBit|i for the multi-rune
	// grapheme cluster clusters[i].
	ch uint32
	// style indexes the engine's style table.
	style uint16
	// kind marks the halves of a wide character.
	kind uint8
}

// Cell kinds.
const (
	kindNarrow uint8 = iota // a normal one-column cell
	kindWide                // the first (left) half of a wide character
	kindCont                // the second (right) half of a wide character
)

// clusterBit marks a cell whose content is a multi-rune grapheme cluster.
const clusterBit = 1 << 31

// row is one grid row. Rows are moved, never copied, when the screen
// scrolls.
type row struct {
	cells []cell
	// gen is the screen generation at which the row at this position last
	// changed (what a renderer compares to skip unchanged rows).
	gen uint64
	// wrapped says the text continues on the next row (an automatic wrap).
	wrapped bool
}

// cursor is a screen's cursor with everything DECSC saves.
type cursor struct {
	x, y   int
	pen    Style
	hidden bool
	shape  CursorShape
	steady bool
}

// buffer is one of the two screens (main, alternate): a ring of rows, its
// cursor and its scroll margins.
type buffer struct {
	rows  []row
	top   int // ring index of screen row 0
	cur   cursor
	saved cursor
	// mtop, mbot are the scroll margins: rows [mtop, mbot) scroll.
	mtop, mbot int
}

func newBuffer(cols, rows int) buffer {
	b := buffer{rows: make([]row, rows), mbot: rows}
	cells := make([]cell, cols*rows)
	for i := range b.rows {
		b.rows[i].cells = cells[i*cols : (i+1)*cols : (i+1)*cols]
	}
	return b
}

// row returns screen row y.
func (b *buffer) row(y int) *row {
	i := b.top + y
	if i >= len(b.rows) {
		i -= len(b.rows)
	}
	return &b.rows[i]
}
