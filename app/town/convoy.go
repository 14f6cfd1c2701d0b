package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// Convoy landing texts (spec §6.4).
const (
	ConvoyLandedSubjectPrefix = "🚚 Convoy landed: "
	convoyLandedBody          = "Every issue tracked by convoy %s is closed."
)

// ConvoyMeta is metadata.gt of a convoy bead.
type ConvoyMeta struct {
	Owner  string   `json:"owner"`
	Notify []string `json:"notify"`
	Merge  string   `json:"merge,omitempty"`
	Owned  bool     `json:"owned"`
	// Auto marks convoys gt sling made on its own.
	Auto bool `json:"auto,omitempty"`
}

// ConvoyMetaOf decodes metadata.gt of a convoy bead (zero when absent).
func ConvoyMetaOf(b models.Bead) ConvoyMeta {
	var m struct {
		GT ConvoyMeta `json:"gt"`
	}
	if len(b.Metadata) > 0 {
		_ = json.Unmarshal(b.Metadata, &m)
	}
	if m.GT.Owner == "" {
		m.GT.Owner = b.Owner
	}
	if m.GT.Notify == nil {
		m.GT.Notify = []string{}
	}
	return m.GT
}

// TrackedIssue is one bead a convoy tracks.
type TrackedIssue struct {
	ID        string           `json:"id"`
	Title     string           `json:"title"`
	Status    models.Status    `json:"status"`
	IssueType models.IssueType `json:"issue_type"`
	Assignee  string           `json:"assignee"`
	Blocked   bool             `json:"blocked"`
}

// Glyph is ✓ closed, ▶ hooked or in progress, ○ anything else.
func (ti TrackedIssue) Glyph() string { return ti.Status.ProgressGlyph() }

// ConvoyView is a convoy with its tracked beads and progress.
type ConvoyView struct {
	ID        string
	Title     string
	Status    models.Status
	CreatedAt time.Time
	Meta      ConvoyMeta
	Tracked   []TrackedIssue
	// Completed counts closed (or tombstoned) tracked beads; Total all.
	Completed, Total int
}

// Closed reports whether the convoy has landed or was closed.
func (v ConvoyView) Closed() bool {
	return v.Status == models.StatusClosed || v.Status == models.StatusTombstone
}

// Glyph is ● open, ✓ closed.
func (v ConvoyView) Glyph() string {
	if v.Closed() {
		return "✓"
	}
	return "●"
}

// ConvoyListJSON is one element of gt convoy list --json.
type ConvoyListJSON struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	Tracked   []string  `json:"tracked"`
	Completed int       `json:"completed"`
	Total     int       `json:"total"`
}

// ListJSON is the list --json shape.
func (v ConvoyView) ListJSON() ConvoyListJSON {
	ids := make([]string, 0, len(v.Tracked))
	for _, ti := range v.Tracked {
		ids = append(ids, ti.ID)
	}
	return ConvoyListJSON{ID: v.ID, Title: v.Title, Status: string(v.Status), CreatedAt: v.CreatedAt,
		Tracked: ids, Completed: v.Completed, Total: v.Total}
}

// ConvoyShowJSON is gt convoy show --json.
type ConvoyShowJSON struct {
	ID            string         `json:"id"`
	Title         string         `json:"title"`
	Status        string         `json:"status"`
	Owned         bool           `json:"owned"`
	MergeStrategy string         `json:"merge_strategy"`
	Notify        []string       `json:"notify"`
	Tracked       []TrackedIssue `json:"tracked"`
	Completed     int            `json:"completed"`
	Total         int            `json:"total"`
}

// ShowJSON is the show --json shape.
func (v ConvoyView) ShowJSON() ConvoyShowJSON {
	tr := v.Tracked
	if tr == nil {
		tr = []TrackedIssue{}
	}
	return ConvoyShowJSON{ID: v.ID, Title: v.Title, Status: string(v.Status), Owned: v.Meta.Owned,
		MergeStrategy: v.Meta.Merge, Notify: v.Meta.Notify, Tracked: tr, Completed: v.Completed, Total: v.Total}
}

// beadReader is the read API shared by *beads.Tx and a store bound to a
// context (storeReader).
type beadReader interface {
	Get(id string) (*models.Bead, error)
	Resolve(partial string) (string, error)
	Dependencies(id string) ([]models.Dependency, error)
	Dependents(id string) ([]models.Dependency, error)
	BlockersOf(id string) ([]string, error)
	List(f beads.Filter) ([]models.Bead, error)
}

type storeReader struct {
	ctx context.Context
	s   *beads.Store
}

func (r storeReader) Get(id string) (*models.Bead, error)    { return r.s.Get(r.ctx, id) }
func (r storeReader) Resolve(p string) (string, error)       { return r.s.Resolve(r.ctx, p) }
func (r storeReader) BlockersOf(id string) ([]string, error) { return r.s.BlockersOf(r.ctx, id) }
func (r storeReader) List(f beads.Filter) ([]models.Bead, error) {
	return r.s.List(r.ctx, f)
}
func (r storeReader) Dependencies(id string) ([]models.Dependency, error) {
	return r.s.Dependencies(r.ctx, id)
}
func (r storeReader) Dependents(id string) ([]models.Dependency, error) {
	return r.s.Dependents(r.ctx, id)
}

// trackedIDs lists the beads a convoy tracks, in edge order.
func trackedIDs(r beadReader, convoy string) ([]string, error) {
	deps, err := r.Dependencies(convoy)
	if err != nil {
		return nil, err
	}
	var tracks []models.Dependency
	for _, d := range deps {
		if d.Type == models.DepTracks {
			tracks = append(tracks, d)
		}
	}
	// In the order they were added.
	sort.SliceStable(tracks, func(i, j int) bool { return tracks[i].CreatedAt.Before(tracks[j].CreatedAt) })
	out := make([]string, 0, len(tracks))
	for _, d := range tracks {
		out = append(out, d.DependsOnID)
	}
	return out, nil
}

// viewConvoy builds the view of convoy bead b.
func viewConvoy(r beadReader, b *models.Bead) (ConvoyView, error) {
	v := ConvoyView{ID: b.ID, Title: b.Title, Status: b.Status, CreatedAt: b.CreatedAt, Meta: ConvoyMetaOf(*b)}
	ids, err := trackedIDs(r, b.ID)
	if err != nil {
		return v, err
	}
	for _, id := range ids {
		ti := TrackedIssue{ID: id}
		tb, err := r.Get(id)
		switch {
		case errors.Is(err, beads.ErrNotFound):
			ti.Title, ti.Status = "(missing)", models.StatusTombstone
		case err != nil:
			return v, err
		default:
			ti.Title, ti.Status, ti.IssueType, ti.Assignee = tb.Title, tb.Status, tb.IssueType, tb.Assignee
			if !tb.Status.Done() {
				blockers, err := r.BlockersOf(id)
				if err != nil {
					return v, err
				}
				ti.Blocked = len(blockers) > 0
			}
		}
		if ti.Status.Done() {
			v.Completed++
		}
		v.Tracked = append(v.Tracked, ti)
	}
	v.Total = len(v.Tracked)
	return v, nil
}

// getConvoy resolves ref to a convoy bead: `<id> is not a convoy` otherwise.
func getConvoy(r beadReader, ref string) (*models.Bead, error) {
	id, err := r.Resolve(strings.TrimSpace(ref))
	if err != nil {
		return nil, err
	}
	b, err := r.Get(id)
	if err != nil {
		return nil, err
	}
	if b.IssueType != models.TypeConvoy {
		return nil, fmt.Errorf("%s is not a convoy", id)
	}
	return b, nil
}

// OpenConvoysTracking returns the open convoys that track bead id (for
// gt sling's auto-convoy rule).
func OpenConvoysTracking(tx *beads.Tx, id string) ([]string, error) {
	deps, err := tx.Dependents(id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range deps {
		if d.Type != models.DepTracks {
			continue
		}
		c, err := tx.Get(d.IssueID)
		if err != nil {
			return nil, err
		}
		if c.IssueType == models.TypeConvoy && !c.Status.Done() {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// CreateConvoyTx creates a convoy bead titled title tracking the given full
// bead IDs, inside tx (gt sling uses it for its auto-convoys).
func CreateConvoyTx(tx *beads.Tx, title string, tracked []string, meta ConvoyMeta) (*models.Bead, error) {
	if meta.Notify == nil {
		meta.Notify = []string{}
	}
	md, err := json.Marshal(map[string]ConvoyMeta{"gt": meta})
	if err != nil {
		return nil, fmt.Errorf("encode convoy metadata: %w", err)
	}
	b, err := tx.Create(&models.Bead{
		Title:       title,
		Description: fmt.Sprintf("Convoy tracking %d issues", len(tracked)),
		IssueType:   models.TypeConvoy,
		Priority:    models.DefaultPriority,
		Owner:       meta.Owner,
		Metadata:    md,
	}, beads.CreateOpts{Kind: beads.KindConvoy})
	if err != nil {
		return nil, err
	}
	for _, id := range tracked {
		if err := tx.AddDependency(b.ID, id, models.DepTracks); err != nil {
			return nil, err
		}
	}
	return tx.Get(b.ID)
}

// ConvoyCreateOptions is one gt convoy create.
type ConvoyCreateOptions struct {
	// Args are the positional arguments: <name> [bead...], or bead... when
	// the first is an existing bead ID (the name is then its title).
	Args   []string
	Notify []string // addresses; "mayor/" for a bare --notify
	Human  bool     // also notify the overseer
	Owner  string   // default Actor
	Owned  bool
	Merge  string // "", mr, direct or local
	Actor  string
}

// ValidateMergeStrategy checks --merge.
func ValidateMergeStrategy(m string) error {
	switch m {
	case "", "mr", "direct", "local":
		return nil
	}
	return fmt.Errorf("invalid --merge %q (expected mr, direct or local)", m)
}

// looksLikeBeadID reports whether s has the shape of a (possibly partial)
// bead ID rather than a convoy name: one word with a '-' and no '/'.
func looksLikeBeadID(s string) bool {
	return s != "" && strings.Contains(s, "-") && !strings.ContainsAny(s, " \t/")
}

// normalizeAddresses resolves each address (any accepted spelling) to its
// canonical form, dropping duplicates.
func (t *Town) normalizeAddresses(in []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, s := range in {
		if strings.TrimSpace(s) == "" {
			s = models.MayorAddress.String()
		}
		a, err := t.ResolveAddress(s)
		if err != nil {
			return nil, err
		}
		if !seen[a.String()] {
			seen[a.String()] = true
			out = append(out, a.String())
		}
	}
	return out, nil
}

// CreateConvoy creates a convoy (spec §6.4) in one transaction: unknown
// beads fail it with nothing created. It records event convoy_created.
func (t *Town) CreateConvoy(ctx context.Context, o ConvoyCreateOptions) (ConvoyView, error) {
	if len(o.Args) == 0 {
		return ConvoyView{}, errors.New("convoy name is required")
	}
	if err := ValidateMergeStrategy(o.Merge); err != nil {
		return ConvoyView{}, err
	}
	notify := append([]string{}, o.Notify...)
	if o.Human {
		notify = append(notify, models.OverseerAddress.String())
	}
	notify, err := t.normalizeAddresses(notify)
	if err != nil {
		return ConvoyView{}, err
	}
	owner := strings.TrimSpace(o.Owner)
	if owner != "" {
		a, err := t.ResolveAddress(owner)
		if err != nil {
			return ConvoyView{}, fmt.Errorf("--owner: %w", err)
		}
		owner = a.String()
	} else {
		owner = o.Actor
	}
	if owner == "" {
		owner = models.OverseerAddress.String()
	}
	actor := o.Actor
	if actor == "" {
		actor = owner
	}
	var view ConvoyView
	err = t.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, actor, func(tx *beads.Tx) error {
			name, refs := o.Args[0], o.Args[1:]
			if looksLikeBeadID(name) {
				if id, err := tx.Resolve(name); err == nil {
					b, err := tx.Get(id)
					if err != nil {
						return err
					}
					name, refs = b.Title, o.Args
				}
			}
			if err := beads.ValidateTitle(strings.TrimSpace(name)); err != nil {
				return err
			}
			var ids []string
			seen := map[string]bool{}
			for _, ref := range refs {
				id, err := tx.Resolve(strings.TrimSpace(ref))
				if err != nil {
					return err
				}
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
			b, err := CreateConvoyTx(tx, strings.TrimSpace(name), ids,
				ConvoyMeta{Owner: owner, Notify: notify, Merge: o.Merge, Owned: o.Owned})
			if err != nil {
				return err
			}
			view, err = viewConvoy(tx, b)
			return err
		})
	})
	if err != nil {
		return ConvoyView{}, err
	}
	t.convoyEvent("convoy_created", actor, view)
	_, _ = PokeHost(ctx, t.Root)
	return view, nil
}

func (t *Town) convoyEvent(typ, actor string, v ConvoyView) {
	ids := make([]string, 0, len(v.Tracked))
	for _, ti := range v.Tracked {
		ids = append(ids, ti.ID)
	}
	_ = eventlog.Emit(t.Root, eventlog.SourceGT, typ, actor,
		map[string]any{"convoy": v.ID, "title": v.Title, "tracked": ids}, models.VisibilityBoth)
}

// ConvoyListOptions selects gt convoy list.
type ConvoyListOptions struct {
	All    bool
	Status string // "", open, closed
}

// ListConvoys returns convoys oldest first: open ones by default, closed
// ones with Status "closed", all with All.
func (t *Town) ListConvoys(ctx context.Context, o ConvoyListOptions) ([]ConvoyView, error) {
	f := beads.Filter{Types: []models.IssueType{models.TypeConvoy}, Sort: "oldest", IncludeClosed: true}
	switch {
	case o.Status == "open":
		f.Status = []models.Status{models.StatusOpen, models.StatusInProgress, models.StatusBlocked,
			models.StatusDeferred, models.StatusHooked, models.StatusPinned}
	case o.Status == "closed":
		f.Status = []models.Status{models.StatusClosed}
	case o.Status != "":
		return nil, fmt.Errorf("invalid --status %q (expected open or closed)", o.Status)
	case !o.All:
		f.Status = []models.Status{models.StatusOpen, models.StatusInProgress, models.StatusBlocked,
			models.StatusDeferred, models.StatusHooked, models.StatusPinned}
	}
	out := []ConvoyView{}
	err := t.WithStore(ctx, func(s *beads.Store) error {
		r := storeReader{ctx: ctx, s: s}
		list, err := s.List(ctx, f)
		if err != nil {
			return err
		}
		for i := range list {
			if list[i].Status == models.StatusTombstone {
				continue
			}
			v, err := viewConvoy(r, &list[i])
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// ShowConvoy returns one convoy by ID (partial accepted) or by its 1-based
// index in the default list.
func (t *Town) ShowConvoy(ctx context.Context, ref string) (ConvoyView, error) {
	ref = strings.TrimSpace(ref)
	if n, err := strconv.Atoi(ref); err == nil {
		open, err := t.ListConvoys(ctx, ConvoyListOptions{})
		if err != nil {
			return ConvoyView{}, err
		}
		if n < 1 || n > len(open) {
			return ConvoyView{}, fmt.Errorf("no convoy number %d (there are %d open convoys)", n, len(open))
		}
		return open[n-1], nil
	}
	var v ConvoyView
	err := t.WithStore(ctx, func(s *beads.Store) error {
		r := storeReader{ctx: ctx, s: s}
		b, err := getConvoy(r, ref)
		if err != nil {
			return err
		}
		v, err = viewConvoy(r, b)
		return err
	})
	return v, err
}

// ConvoyAddResult is what gt convoy add did.
type ConvoyAddResult struct {
	ID       string
	Added    []string
	Skipped  []string // already tracked
	Reopened bool
}

// AddToConvoy adds tracks edges from a convoy to beads. Already tracked
// beads are skipped; a closed convoy that gains an unfinished bead is
// reopened. Unknown beads fail the whole call.
func (t *Town) AddToConvoy(ctx context.Context, convoy string, refs []string, actor string) (ConvoyAddResult, error) {
	if len(refs) == 0 {
		return ConvoyAddResult{}, errors.New("at least one bead is required")
	}
	var res ConvoyAddResult
	err := t.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, actor, func(tx *beads.Tx) error {
			res = ConvoyAddResult{}
			c, err := getConvoy(tx, convoy)
			if err != nil {
				return err
			}
			res.ID = c.ID
			have, err := trackedIDs(tx, c.ID)
			if err != nil {
				return err
			}
			tracked := map[string]bool{}
			for _, id := range have {
				tracked[id] = true
			}
			unfinished := false
			for _, ref := range refs {
				id, err := tx.Resolve(strings.TrimSpace(ref))
				if err != nil {
					return err
				}
				if tracked[id] {
					res.Skipped = append(res.Skipped, id)
					continue
				}
				if id == c.ID {
					return fmt.Errorf("convoy %s cannot track itself", c.ID)
				}
				b, err := tx.Get(id)
				if err != nil {
					return err
				}
				if err := tx.AddDependency(c.ID, id, models.DepTracks); err != nil {
					return err
				}
				tracked[id] = true
				res.Added = append(res.Added, id)
				unfinished = unfinished || !b.Status.Done()
			}
			if len(res.Added) > 0 {
				desc := fmt.Sprintf("Convoy tracking %d issues", len(tracked))
				if _, err := tx.Update(c.ID, beads.Update{Description: &desc}); err != nil {
					return err
				}
			}
			if c.Status == models.StatusClosed && unfinished {
				if _, err := tx.Reopen(c.ID); err != nil {
					return err
				}
				res.Reopened = true
			}
			return nil
		})
	})
	if err == nil && len(res.Added) > 0 {
		_, _ = PokeHost(ctx, t.Root)
	}
	return res, err
}

// ConvoyRemoveResult is what gt convoy remove did.
type ConvoyRemoveResult struct {
	ID      string
	Removed []string
	// Landed: the remaining tracked beads were all closed, so the convoy
	// closed itself.
	Landed bool
}

// RemoveFromConvoy drops tracks edges; a bead the convoy does not track is
// an error and nothing changes. If every remaining tracked bead is closed
// the open convoy lands (closes with the completion reason, then
// AfterClose runs).
func (t *Town) RemoveFromConvoy(ctx context.Context, convoy string, refs []string, actor string) (ConvoyRemoveResult, error) {
	if len(refs) == 0 {
		return ConvoyRemoveResult{}, errors.New("at least one bead is required")
	}
	var res ConvoyRemoveResult
	var closeRes beads.CloseResult
	err := t.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, actor, func(tx *beads.Tx) error {
			res, closeRes = ConvoyRemoveResult{}, beads.CloseResult{}
			c, err := getConvoy(tx, convoy)
			if err != nil {
				return err
			}
			res.ID = c.ID
			have, err := trackedIDs(tx, c.ID)
			if err != nil {
				return err
			}
			tracked := map[string]bool{}
			for _, id := range have {
				tracked[id] = true
			}
			for _, ref := range refs {
				ref = strings.TrimSpace(ref)
				id := ref
				if !tracked[ref] {
					if id, err = tx.Resolve(ref); err != nil {
						return err
					}
				}
				if !tracked[id] {
					return fmt.Errorf("%s is not tracked by convoy %s", id, c.ID)
				}
				if err := tx.RemoveDependency(c.ID, id); err != nil {
					return err
				}
				delete(tracked, id)
				res.Removed = append(res.Removed, id)
			}
			desc := fmt.Sprintf("Convoy tracking %d issues", len(tracked))
			if _, err := tx.Update(c.ID, beads.Update{Description: &desc}); err != nil {
				return err
			}
			if c.Status.Done() || len(tracked) == 0 {
				return nil
			}
			for id := range tracked {
				b, err := tx.Get(id)
				if err != nil && !errors.Is(err, beads.ErrNotFound) {
					return err
				}
				if err == nil && !b.Status.Done() {
					return nil
				}
			}
			cr, err := tx.CloseIssue(c.ID, beads.ConvoyCompletionReason, true)
			if err != nil {
				return err
			}
			res.Landed = true
			closeRes = beads.CloseResult{AutoClosed: append([]models.Bead{*cr.Closed}, cr.AutoClosed...)}
			return nil
		})
	})
	if err != nil {
		return ConvoyRemoveResult{}, err
	}
	if res.Landed {
		if err := AfterClose(ctx, t, closeRes, actor); err != nil {
			return res, err
		}
	}
	return res, nil
}

// RenameConvoy changes a convoy's title.
func (t *Town) RenameConvoy(ctx context.Context, convoy, name, actor string) (string, error) {
	name = strings.TrimSpace(name)
	if err := beads.ValidateTitle(name); err != nil {
		return "", err
	}
	var id string
	err := t.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, actor, func(tx *beads.Tx) error {
			c, err := getConvoy(tx, convoy)
			if err != nil {
				return err
			}
			id = c.ID
			_, err = tx.Update(c.ID, beads.Update{Title: &name})
			return err
		})
	})
	return id, err
}

// CloseConvoy closes a convoy by hand (reason default "Closed") and records
// event convoy_closed.
func (t *Town) CloseConvoy(ctx context.Context, convoy, reason, actor string) (ConvoyView, error) {
	if strings.TrimSpace(reason) == "" {
		reason = "Closed"
	}
	var view ConvoyView
	var res beads.CloseResult
	err := t.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, actor, func(tx *beads.Tx) error {
			c, err := getConvoy(tx, convoy)
			if err != nil {
				return err
			}
			if res, err = tx.CloseIssue(c.ID, reason, true); err != nil {
				return err
			}
			view, err = viewConvoy(tx, res.Closed)
			return err
		})
	})
	if err != nil {
		return ConvoyView{}, err
	}
	t.convoyEvent("convoy_closed", actor, view)
	// Closing a convoy may complete a convoy that tracks it.
	if len(res.AutoClosed) > 0 {
		if err := AfterClose(ctx, t, beads.CloseResult{AutoClosed: res.AutoClosed}, actor); err != nil {
			return view, err
		}
	}
	_, _ = PokeHost(ctx, t.Root)
	return view, nil
}

// AfterClose runs the after-commit half of convoy landing (spec §6.4) for
// every convoy in res.AutoClosed: event convoy_closed, a mail to the owner
// and each notify address (each once) with subject
// "🚚 Convoy landed: <title>", and, when the town's
// convoy.notify_on_complete is set, a nudge to the Mayor. The convoy
// closed itself, so the event actor and the mail sender are
// system:convoy-completion; actor (who closed the last bead) is recorded as
// the creator of the mail beads. Other
// auto-closed beads (molecule roots) are ignored. Every convoy is handled
// even if one fails; the errors are joined.
func AfterClose(ctx context.Context, t *Town, res beads.CloseResult, actor string) error {
	if t == nil {
		return errors.New("after close: no town")
	}
	if actor == "" {
		actor = beads.ConvoyCompletionActor
	}
	const system = beads.ConvoyCompletionActor
	var convoys []models.Bead
	for _, b := range res.AutoClosed {
		if b.IssueType == models.TypeConvoy {
			convoys = append(convoys, b)
		}
	}
	if len(convoys) == 0 {
		return nil
	}
	notifyMayor := false
	if st, err := t.Settings(); err == nil {
		notifyMayor = st.NotifyOnComplete()
	}
	var errs []error
	for _, c := range convoys {
		var view ConvoyView
		var sent []Message
		err := t.WithStore(ctx, func(s *beads.Store) error {
			r := storeReader{ctx: ctx, s: s}
			b, err := r.Get(c.ID)
			if err != nil {
				return err
			}
			if view, err = viewConvoy(r, b); err != nil {
				return err
			}
			return s.Write(ctx, actor, func(tx *beads.Tx) error {
				sent = nil
				for _, to := range landingRecipients(view.Meta) {
					m, err := createMessage(tx, to, MailSendOptions{
						Subject: ConvoyLandedSubjectPrefix + view.Title,
						Body:    fmt.Sprintf(convoyLandedBody, view.ID),
						From:    system, Priority: models.DefaultPriority, Type: MailTypeNotify,
					})
					if err != nil {
						return fmt.Errorf("landing mail for %s to %s: %w", view.ID, to, err)
					}
					sent = append(sent, MessageFromBead(*m))
				}
				return nil
			})
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.convoyEvent("convoy_closed", system, view)
		for _, m := range sent {
			t.afterMail(ctx, m)
		}
		if notifyMayor {
			text := NudgeText(system, fmt.Sprintf("%s%s (%s)", ConvoyLandedSubjectPrefix, view.Title, view.ID))
			if _, err := t.DeliverNudge(ctx, models.MayorAddress, system, text, NudgeQueue); err != nil {
				errs = append(errs, err)
			} else {
				_ = eventlog.Emit(t.Root, eventlog.SourceGT, "nudge", system,
					map[string]string{"to": models.MayorAddress.String(), "message": ConvoyLandedSubjectPrefix + view.Title},
					models.VisibilityBoth)
			}
		}
	}
	return errors.Join(errs...)
}

// landingRecipients is the owner then each notify address, each once;
// identities that are not addresses (e.g. "system:x") are skipped.
func landingRecipients(m ConvoyMeta) []models.Address {
	var out []models.Address
	seen := map[string]bool{}
	for _, s := range append([]string{m.Owner}, m.Notify...) {
		a, err := models.ParseAddress(s)
		if err != nil || a.Role == models.RoleUnknown || seen[a.String()] {
			continue
		}
		seen[a.String()] = true
		out = append(out, a)
	}
	return out
}
