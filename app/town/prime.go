package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/formulas"
	"github.com/gastown/gt/models"
)

// ErrStoreUnreadable is gt prime's answer when the beads store cannot be
// read (spec §5.6).
var ErrStoreUnreadable = errors.New("cannot read the beads store; do not run gt done until it is fixed")

// primeDescriptionLines is how much of the hooked bead's description gt
// prime shows.
const primeDescriptionLines = 20

// PrimeHooked is the current hooked bead in gt prime --json.
type PrimeHooked struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Status      string     `json:"status"`
	Description string     `json:"description"`
	Attachment  Attachment `json:"attachment"`
}

// PrimeStep is one checklist step in gt prime --json.
type PrimeStep struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Needs       []string `json:"needs"`
}

// PrimeFormula is the attached formula in gt prime --json.
type PrimeFormula struct {
	Name  string      `json:"name"`
	Steps []PrimeStep `json:"steps"`
}

// PrimeInfo is everything gt prime shows (spec §5.6); its JSON form is gt
// prime --json.
type PrimeInfo struct {
	Address    string        `json:"address"`
	Role       string        `json:"role"`
	Rig        string        `json:"rig"`
	TownRoot   string        `json:"town_root"`
	TownName   string        `json:"town_name"`
	Hooked     *PrimeHooked  `json:"hooked"`
	Formula    *PrimeFormula `json:"formula"`
	MailUnread int           `json:"mail_unread"`
	// Others are the other hooked beads (newer than the current one).
	Others []string `json:"others,omitempty"`
	// FormulaError says why the attached formula could not be rendered.
	FormulaError string `json:"formula_error,omitempty"`

	addr  models.Address
	proto *formulas.Proto
}

// Prime gathers the context of addr (read-only). A store that cannot be
// read is ErrStoreUnreadable.
func (t *Town) Prime(ctx context.Context, addr models.Address) (*PrimeInfo, error) {
	info := &PrimeInfo{
		Address:  addr.String(),
		Role:     addr.Role.String(),
		Rig:      addr.Rig,
		TownRoot: t.Root,
		TownName: t.Name(),
		addr:     addr,
	}
	s, err := t.OpenStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrStoreUnreadable, err)
	}
	defer s.Close()
	hooked, err := hookedTo(ctx, s, addr.String())
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrStoreUnreadable, err)
	}
	unread, err := unreadMail(ctx, s, addr.String())
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrStoreUnreadable, err)
	}
	info.MailUnread = unread
	if len(hooked) == 0 {
		return info, nil
	}
	cur := hooked[0]
	for _, b := range hooked[1:] {
		info.Others = append(info.Others, b.ID)
	}
	a := BeadAttachment(&cur)
	info.Hooked = &PrimeHooked{ID: cur.ID, Title: cur.Title, Status: string(cur.Status), Description: cur.Description, Attachment: a}
	if a.Formula != "" {
		p, err := t.cookAttachment(addr, a)
		if err != nil {
			info.FormulaError = oneLine(formulaError(a.Formula, err).Error())
			return info, nil
		}
		info.proto = p
		pf := &PrimeFormula{Name: p.Formula, Steps: []PrimeStep{}}
		for _, st := range p.Steps {
			if st.IsGate() {
				continue
			}
			needs := st.Needs
			if needs == nil {
				needs = []string{}
			}
			pf.Steps = append(pf.Steps, PrimeStep{ID: st.ID, Title: st.Title, Description: st.Description, Needs: needs})
		}
		info.Formula = pf
	}
	return info, nil
}

// unreadMail counts addr's open messages without the read label.
func unreadMail(ctx context.Context, s *beads.Store, addr string) (int, error) {
	msgs, err := s.List(ctx, beads.Filter{
		Types:         []models.IssueType{models.TypeMessage},
		Status:        []models.Status{models.StatusOpen, models.StatusHooked, models.StatusInProgress},
		Assignee:      addr,
		IncludeClosed: true, // with Status set this only adds ephemeral mail
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range msgs {
		if !slices.Contains(m.Labels, "read") {
			n++
		}
	}
	return n, nil
}

// roleContext is section (2) of gt prime: duties and commands per role.
func roleContext(a models.Address) (heading string, lines []string) {
	switch a.Role {
	case models.RoleMayor:
		return "# Mayor context", []string{
			"You are the Mayor: you coordinate the town's work; the overseer (the human) talks to you.",
			"",
			"- File work as beads: bd create \"<title>\" -d \"<description>\"",
			"- Hand it to a rig's polecats: gt sling <id> <rig>",
			"- Group related work: gt convoy create <name> <id>...",
			"- See who is doing what: gt agents",
			"- See what needs attention: gt feed --problems",
			"- Read and send mail: gt mail inbox, gt mail send <addr> -s <subject> -m <body>",
			"Do not write code in rigs yourself: sling it.",
		}
	case models.RolePolecat:
		return "# Polecat context", []string{
			fmt.Sprintf("You are polecat %s of rig %s, working in your own git worktree on your own branch.", a.Name, a.Rig),
			"",
			"- Work the bead on your hook in this worktree, and only that bead.",
			"- Commit your changes with messages that start with the bead ID.",
			"- Finish with gt done: it submits your branch to the merge queue.",
			"- Stuck? gt done --status ESCALATED -m \"<why>\" asks the Mayor for help.",
			"Do not merge into the default branch yourself and do not switch branches.",
		}
	case models.RoleCrew:
		return "# Crew context", []string{
			fmt.Sprintf("You are crew member %s of rig %s, in your own full clone.", a.Name, a.Rig),
			"",
			"- Follow the overseer's instructions.",
			"- Work hooked beads when there are any; track your work with bd.",
			"- Check gt mail inbox for messages.",
		}
	}
	return "# Overseer context", []string{
		"You are the overseer (the human). Agents get their context from gt prime in their own panes.",
		"",
		"- File work with bd create, hand it out with gt sling <id> <rig>, watch it with gt agents and gt convoy list.",
	}
}

// WritePrime prints gt prime's text (spec §5.6): the identity line, the
// role context, the hooked work with its formula checklist (or "Nothing on
// your hook"), then the unread mail count. ppid is the caller's parent pid.
func WritePrime(w io.Writer, info *PrimeInfo, ppid int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "[GAS TOWN] role:%s pid:%d town:%s\n\n", info.Address, ppid, info.TownName)
	heading, lines := roleContext(info.addr)
	b.WriteString(heading + "\n\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	if info.Hooked == nil {
		b.WriteString("## Nothing on your hook\n\nWait for instructions.\n")
		if info.addr.Role == models.RoleMayor {
			b.WriteString("Check gt mail inbox and bd ready for work to hand out.\n")
		}
	} else {
		h := info.Hooked
		b.WriteString("## Hooked work\n\n")
		fmt.Fprintf(&b, "ID:     %s\n", h.ID)
		fmt.Fprintf(&b, "Status: %s\n", h.Status)
		fmt.Fprintf(&b, "Title:  %s\n", h.Title)
		if d := strings.TrimRight(h.Description, "\n"); d != "" {
			dl := strings.Split(d, "\n")
			b.WriteString("\n")
			for i, l := range dl {
				if i == primeDescriptionLines {
					fmt.Fprintf(&b, "… (%d more lines: bd show %s)\n", len(dl)-primeDescriptionLines, h.ID)
					break
				}
				b.WriteString(l + "\n")
			}
		}
		a := h.Attachment
		if !a.IsZero() {
			b.WriteString("\nAttachment:\n")
			if a.Formula != "" {
				fmt.Fprintf(&b, "  Formula:     %s\n", a.Formula)
			}
			if a.DispatchedBy != "" {
				fmt.Fprintf(&b, "  Slung by:    %s\n", a.DispatchedBy)
			}
			if a.AttachedAt != nil {
				fmt.Fprintf(&b, "  Attached at: %s\n", a.AttachedAt.UTC().Format("2006-01-02T15:04:05Z"))
			}
			if a.ConvoyID != "" {
				fmt.Fprintf(&b, "  Convoy:      %s\n", a.ConvoyID)
			}
			if a.MergeStrategy != "" {
				fmt.Fprintf(&b, "  Merge:       %s\n", a.MergeStrategy)
			}
			if a.Args != "" {
				fmt.Fprintf(&b, "  Args:        %s\n", a.Args)
			}
		}
		b.WriteString("\n")
		switch {
		case info.proto != nil:
			if err := info.proto.WriteChecklist(&b, info.addr.Role == models.RolePolecat); err != nil {
				return err
			}
		case info.FormulaError != "":
			fmt.Fprintf(&b, "## Formula checklist: %s\n\n⚠ cannot render the formula: %s\n", a.Formula, info.FormulaError)
			if info.addr.Role == models.RolePolecat {
				b.WriteString("\nWhen the work is done, run gt done.\n")
			}
		case info.addr.Role == models.RolePolecat:
			b.WriteString("When the work is done, run gt done.\n")
		}
		if len(info.Others) > 0 {
			fmt.Fprintf(&b, "\nAlso on your hook (after %s): %s\n", h.ID, strings.Join(info.Others, ", "))
		}
	}
	if info.MailUnread > 0 {
		fmt.Fprintf(&b, "\n📬 %d unread message(s): gt mail inbox\n", info.MailUnread)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// MarshalPrime is gt prime --json.
func MarshalPrime(info *PrimeInfo) ([]byte, error) {
	return json.MarshalIndent(info, "", "  ")
}
