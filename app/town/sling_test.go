package town

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// orchFixture is a town with rig myproj (prefix mp) cloned from a local
// bare origin holding one commit.
type orchFixture struct {
	tw     *Town
	origin string
	base   string
}

func newOrchFixture(t *testing.T) *orchFixture {
	t.Helper()
	getenv := installEnv(t)
	ctx := context.Background()
	base := t.TempDir()
	if r, err := filepath.EvalSymlinks(base); err == nil {
		base = r
	}
	origin := filepath.Join(base, "origin.git")
	seed := filepath.Join(base, "seed")
	mustGit(t, base, "init", "--quiet", "--bare", "-b", "main", origin)
	mustGit(t, base, "clone", "--quiet", origin, seed)
	if err := os.WriteFile(filepath.Join(seed, "README.md"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, seed, "add", "README.md")
	mustGit(t, seed, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "init")
	mustGit(t, seed, "push", "--quiet", "origin", "main")
	res, err := Install(ctx, InstallOptions{Path: filepath.Join(base, "town"), Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.Town.AddRig(ctx, RigAddOptions{Name: "myproj", Repo: origin, Prefix: "mp"}); err != nil {
		t.Fatal(err)
	}
	return &orchFixture{tw: res.Town, origin: origin, base: base}
}

func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(context.Background(), dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (f *orchFixture) create(t *testing.T, prefix, title string) string {
	t.Helper()
	var id string
	err := f.tw.WithStore(context.Background(), func(s *beads.Store) error {
		return s.Write(context.Background(), "overseer", func(tx *beads.Tx) error {
			b, err := tx.Create(&models.Bead{Title: title, Priority: 2}, beads.CreateOpts{Prefix: prefix})
			if err == nil {
				id = b.ID
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *orchFixture) get(t *testing.T, id string) *models.Bead {
	t.Helper()
	var b *models.Bead
	err := f.tw.withReadStore(context.Background(), func(s *beads.Store) error {
		var err error
		b, err = s.Get(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPoolNamesAndBranches(t *testing.T) {
	t.Parallel()
	if got := PoolName(nil, 0); got != "furiosa" {
		t.Fatalf("first name %q", got)
	}
	if got := PoolName(nil, 44); got != "guzzoline" {
		t.Fatalf("last theme name %q", got)
	}
	if got := PoolName(nil, 45); got != "51" {
		t.Fatalf("after the theme %q", got)
	}
	if got := PoolName([]string{"a", "b"}, 3); got != "52" {
		t.Fatalf("custom pool overflow %q", got)
	}
	at := time.UnixMilli(1_700_000_000_000)
	br := PolecatBranch("nux", "mp-abc12", at)
	if br != "polecat/nux/mp-abc12@loyw3v28" {
		t.Fatalf("branch %q", br)
	}
	cases := map[string]string{br: "mp-abc12", "polecat/x/mp-a.1@z": "mp-a.1", "main": "", "polecat/x": "", "polecat/x/@1": ""}
	for in, want := range cases {
		got, ok := PolecatBranchBead(in)
		if got != want || ok != (want != "") {
			t.Errorf("PolecatBranchBead(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestConvoyTitleAndVars(t *testing.T) {
	t.Parallel()
	if got := convoyTitle("Fix it", 1); got != "Work: Fix it" {
		t.Fatal(got)
	}
	if got := convoyTitle("Fix\nit", 3); got != "Work: Fix it (+2 more)" {
		t.Fatal(got)
	}
	if got := []rune(convoyTitle(strings.Repeat("x", 600), 1)); len(got) != models.MaxTitleLen {
		t.Fatalf("long title kept %d runes", len(got))
	}
	v, err := parseVars([]string{"a=1", "b=x=y", "c="})
	if err != nil || v["a"] != "1" || v["b"] != "x=y" || v["c"] != "" {
		t.Fatalf("%v %v", v, err)
	}
	for _, bad := range []string{"novalue", "=v", " =v"} {
		if _, err := parseVars([]string{bad}); err == nil {
			t.Errorf("parseVars(%q) accepted", bad)
		}
	}
}

func TestLockFileExcludes(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "locks", "x.lock")
	unlock, err := lockFile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, p); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	u2, err := lockFile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	u2()
}

func TestSlingHookPrimeDoneInProcess(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	tw := f.tw
	a := f.create(t, "mp", "First task")
	b := f.create(t, "mp", "Second task")
	var out bytes.Buffer
	res, err := tw.Sling(ctx, SlingOptions{Args: []string{a, b, "myproj"}, Actor: "mayor", Out: &out, Merge: "local", AgentArgs: "be brief"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Beads) != 2 || res.Beads[0].Target != "myproj/polecats/furiosa" || res.Beads[1].Target != "myproj/polecats/nux" || res.Convoy == "" {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(out.String(), "🚚 New convoy "+res.Convoy+" tracks "+a+", "+b+"\n") {
		t.Fatalf("output:\n%s", out.String())
	}
	cv := f.get(t, res.Convoy)
	if cv.Title != "Work: First task (+1 more)" || cv.Owner != "mayor" || !ConvoyMetaOf(*cv).Auto {
		t.Fatalf("convoy %+v", cv)
	}
	// The hook, as the polecat sees it.
	furiosa := models.Address{Role: models.RolePolecat, Rig: "myproj", Name: "furiosa"}
	v, err := tw.Hook(ctx, furiosa)
	if err != nil || len(v.Beads) != 1 || v.Beads[0].Bead.ID != a || v.Beads[0].Steps != 5 || v.Beads[0].Attachment.Args != "be brief" {
		t.Fatalf("hook %+v %v", v, err)
	}
	info, err := tw.Prime(ctx, furiosa)
	if err != nil {
		t.Fatal(err)
	}
	if info.Hooked == nil || info.Hooked.ID != a || info.Formula == nil || len(info.Formula.Steps) != 5 || info.Formula.Steps[1].Title != "Implement First task" {
		t.Fatalf("prime %+v", info)
	}
	var pb bytes.Buffer
	if err := WritePrime(&pb, info, 42); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pb.String(), "[GAS TOWN] role:myproj/polecats/furiosa pid:42 town:town\n") || !strings.Contains(pb.String(), "Args:        be brief") {
		t.Fatalf("prime text:\n%s", pb.String())
	}
	// Nothing on nobody's hook.
	empty, err := tw.Prime(ctx, models.MayorAddress)
	if err != nil || empty.Hooked != nil {
		t.Fatalf("mayor prime %+v %v", empty, err)
	}
	pb.Reset()
	_ = WritePrime(&pb, empty, 1)
	if !strings.Contains(pb.String(), "## Nothing on your hook\n\nWait for instructions.\n") {
		t.Fatalf("empty prime:\n%s", pb.String())
	}

	// gt done --merge local: a commit, then the bead closes on its branch.
	wt := tw.Workdir(furiosa)
	if err := os.WriteFile(filepath.Join(wt, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	dr, err := tw.Done(ctx, DoneOptions{Actor: furiosa.String(), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if dr.Strategy != StrategyLocal || !dr.Closed || out.String() != "✓ Work submitted: "+a+" (local)\nPolecat furiosa is now idle.\n" {
		t.Fatalf("done %+v %q", dr, out.String())
	}
	if got := f.get(t, a); got.Status != models.StatusClosed || got.CloseReason != "Completed on branch "+dr.Branch {
		t.Fatalf("bead %s %q", got.Status, got.CloseReason)
	}
	if msg := mustGit(t, wt, "log", "-1", "--format=%s|%an"); msg != a+": final changes (gt done)|furiosa" {
		t.Fatalf("stray commit %q", msg)
	}
	// Idempotent: a second gt done changes nothing and succeeds.
	if _, err := tw.Done(ctx, DoneOptions{Actor: furiosa.String()}); err != nil {
		t.Fatalf("second done: %v", err)
	}

	// ESCALATED and DEFERRED.
	nux := models.Address{Role: models.RolePolecat, Rig: "myproj", Name: "nux"}
	dr, err = tw.Done(ctx, DoneOptions{Actor: nux.String(), Status: "escalated", Message: "stuck on $(x)"})
	if err != nil {
		t.Fatal(err)
	}
	eb := f.get(t, b)
	if eb.Status != models.StatusBlocked || !strings.Contains(strings.Join(eb.Labels, ","), EscalatedLabel) || dr.Mail == "" {
		t.Fatalf("escalated %+v", eb)
	}
	if m := f.get(t, dr.Mail); m.Title != "Escalation: "+b || m.Description != "stuck on $(x)" || m.Assignee != "mayor" {
		t.Fatalf("mail %+v", m)
	}
	c := f.create(t, "mp", "Third")
	if _, err := tw.Sling(ctx, SlingOptions{Args: []string{c, "myproj/nux"}, Actor: "overseer", NoConvoy: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Done(ctx, DoneOptions{Actor: nux.String(), Status: "DEFERRED"}); err != nil {
		t.Fatal(err)
	}
	if cb := f.get(t, c); cb.Status != models.StatusDeferred || cb.Assignee != "" {
		t.Fatalf("deferred %s %q", cb.Status, cb.Assignee)
	}
	if _, err := tw.Done(ctx, DoneOptions{Actor: "mayor"}); !errors.Is(err, ErrNotPolecat) {
		t.Fatalf("mayor done: %v", err)
	}
	if _, err := tw.Done(ctx, DoneOptions{Actor: nux.String(), Status: "FINISHED"}); err == nil {
		t.Fatal("bad status accepted")
	}
}

func TestHookAttachAndClear(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	tw := f.tw
	a := f.create(t, "hq", "Mayor job")
	var out bytes.Buffer
	if _, err := tw.Sling(ctx, SlingOptions{Args: []string{a, "mayor"}, Actor: "overseer", HookOnly: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "🎯 Sling "+a+" → mayor\n🪝 Hooked "+a+" to mayor (status=hooked)\n" {
		t.Fatalf("hook output %q", out.String())
	}
	b := f.get(t, a)
	if b.Status != models.StatusHooked || b.Assignee != "mayor" || !BeadAttachment(b).IsZero() {
		t.Fatalf("hooked %+v", b)
	}
	if m := f.get(t, models.MayorBeadID); m.HookBead != a {
		t.Fatalf("mayor hook_bead %q", m.HookBead)
	}
	cleared, err := tw.HookClear(ctx, HookClearOptions{Actor: "mayor", Address: models.MayorAddress})
	if err != nil || len(cleared) != 1 || cleared[0] != a {
		t.Fatalf("clear %v %v", cleared, err)
	}
	if b := f.get(t, a); b.Status != models.StatusOpen || b.Assignee != "" {
		t.Fatalf("after clear %s %q", b.Status, b.Assignee)
	}
	if m := f.get(t, models.MayorBeadID); m.HookBead != "" {
		t.Fatalf("mayor hook_bead not cleared: %q", m.HookBead)
	}
	if _, err := tw.HookClear(ctx, HookClearOptions{Actor: "mayor", Address: models.MayorAddress, Bead: a}); err == nil {
		t.Fatal("clearing an unhooked bead succeeded")
	}
}

func TestSlingFormulaPoursMolecule(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	res, err := f.tw.Sling(ctx, SlingOptions{Args: []string{"release", "myproj"}, Vars: []string{"version=1.2.3"}, Actor: "mayor", NoConvoy: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Molecule, "mp-mol-") || len(res.Beads) != 1 || res.Beads[0].Bead != res.Molecule {
		t.Fatalf("result %+v", res)
	}
	root := f.get(t, res.Molecule)
	if root.IssueType != models.TypeMolecule || root.SourceFormula != "release" || root.Status != models.StatusHooked {
		t.Fatalf("root %+v", root)
	}
	// A formula that does not validate fails before any change.
	before := f.get(t, res.Molecule).UpdatedAt
	if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{"release", "myproj"}, Actor: "mayor"}); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("release without version: %v", err)
	}
	if f.get(t, res.Molecule).UpdatedAt != before {
		t.Fatal("failed sling touched the store")
	}
}

func TestSlingPolecatLimit(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	ts, err := f.tw.Settings()
	if err != nil {
		t.Fatal(err)
	}
	ts.Polecat = &PolecatSettings{MaxPerRig: 1}
	if err := f.tw.SaveSettings(ts); err != nil {
		t.Fatal(err)
	}
	a, b := f.create(t, "mp", "A"), f.create(t, "mp", "B")
	if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{a, "myproj"}, Actor: "mayor"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.tw.Sling(ctx, SlingOptions{Args: []string{b, "myproj"}, Actor: "mayor"})
	if err == nil || err.Error() != "rig myproj has 1 polecats (limit polecat.max_per_rig)" {
		t.Fatalf("limit: %v", err)
	}
}

func TestSlingSameBeadRace(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	id := f.create(t, "mp", "Contested")
	var wg sync.WaitGroup
	results := make([]*SlingResult, 6)
	errs := make([]error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := "myproj"
			if i%2 == 1 {
				target = "mayor"
			}
			results[i], errs[i] = f.tw.Sling(ctx, SlingOptions{Args: []string{id, target}, Actor: "overseer"})
		}()
	}
	wg.Wait()
	wins := 0
	for i := range 6 {
		if errs[i] == nil && len(results[i].Beads) == 1 && !results[i].Beads[0].Already {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d slings won, want 1 (errs %v)", wins, errs)
	}
}

func TestHostHelpers(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	a := f.create(t, "mp", "Host work")
	if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{a, "myproj"}, Actor: "mayor", Agent: "codex"}); err != nil {
		t.Fatal(err)
	}
	work, err := f.tw.HookedPolecats(ctx)
	if err != nil || len(work) != 1 || work[0].Bead != a || work[0].Runtime != "codex" || work[0].Address.Name != "furiosa" ||
		!strings.HasPrefix(work[0].Branch, "polecat/furiosa/"+a+"@") {
		t.Fatalf("hooked polecats %+v %v", work, err)
	}
	addr := work[0].Address
	if err := f.tw.ResetPolecatWorktree(ctx, addr); err == nil {
		t.Fatal("reset a busy polecat")
	}
	if err := f.tw.MarkBeaconDelivered(ctx, addr); err != nil {
		t.Fatal(err)
	}
	if b := f.get(t, a); b.Status != models.StatusInProgress {
		t.Fatalf("after beacon: %s", b.Status)
	}
	if ab := f.get(t, "mp-myproj-polecat-furiosa"); ab.AgentState != models.AgentBeadWorking {
		t.Fatalf("agent state %q", ab.AgentState)
	}
	wt := f.tw.Workdir(addr)
	if err := os.WriteFile(filepath.Join(wt, "junk.txt"), []byte("j"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tw.Done(ctx, DoneOptions{Actor: addr.String(), Status: DoneDeferred}); err != nil {
		t.Fatal(err)
	}
	if work, _ := f.tw.HookedPolecats(ctx); len(work) != 0 {
		t.Fatalf("still desired: %+v", work)
	}
	if err := f.tw.ResetPolecatWorktree(ctx, addr); err != nil {
		t.Fatal(err)
	}
	if st := mustGit(t, wt, "status", "--porcelain"); st != "" {
		t.Fatalf("worktree not clean: %q", st)
	}
	if _, err := git(ctx, wt, "symbolic-ref", "-q", "HEAD"); err == nil {
		t.Fatal("worktree not detached")
	}
}

func TestPrimeStoreUnreadable(t *testing.T) {
	f := newOrchFixture(t)
	if err := os.WriteFile(f.tw.BeadsDB(), []byte("this is not sqlite at all, not even close......................................................................................."), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Remove(f.tw.BeadsDB() + suffix)
	}
	_, err := f.tw.Prime(context.Background(), models.MayorAddress)
	if !errors.Is(err, ErrStoreUnreadable) {
		t.Fatalf("prime on a broken store: %v", err)
	}
}

func TestSlingPokesRunningHost(t *testing.T) {
	f := newOrchFixture(t)
	if len(filepath.Join(f.tw.Root, ".runtime", "host.sock")) > 100 {
		t.Skip("temp dir too long for a unix socket path")
	}
	h := &fakeHost{}
	startFakeHost(t, f.tw.Root, h)
	ctx := context.Background()
	a := f.create(t, "mp", "Hosted")
	var out bytes.Buffer
	res, err := f.tw.Sling(ctx, SlingOptions{Args: []string{a, "myproj"}, Actor: "mayor", Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Hosted || !strings.HasSuffix(out.String(), "▶ Starting myproj/polecats/furiosa (claude)\n") || strings.Contains(out.String(), "No gt host") {
		t.Fatalf("hosted sling:\n%s", out.String())
	}
	if _, err := f.tw.Done(ctx, DoneOptions{Actor: "myproj/polecats/furiosa"}); err != nil {
		t.Fatal(err)
	}
	pokes := 0
	for _, r := range h.requests() {
		if r.Op == OpPoke {
			pokes++
		}
	}
	if pokes < 2 {
		t.Fatalf("host got %d pokes, want sling and done", pokes)
	}
}

func TestPrimeSeveralHookedAndMail(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	a := f.create(t, "hq", "Older")
	b := f.create(t, "hq", "Newer")
	for _, id := range []string{a, b} {
		if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{id, "mayor"}, Actor: "overseer", NoConvoy: true, Formula: "mol-polecat-work", Vars: []string{"test_command=make check"}}); err != nil {
			t.Fatal(err)
		}
	}
	err := f.tw.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, "overseer", func(tx *beads.Tx) error {
			_, err := createMail(tx, "overseer", "mayor", "Hello", "body")
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.tw.Prime(ctx, models.MayorAddress)
	if err != nil {
		t.Fatal(err)
	}
	if info.Hooked == nil || info.Hooked.ID != a || len(info.Others) != 1 || info.Others[0] != b || info.MailUnread != 1 {
		t.Fatalf("prime %+v", info)
	}
	var out bytes.Buffer
	if err := WritePrime(&out, info, 7); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"# Mayor context", "## Formula checklist: mol-polecat-work", "Run the tests and fix what fails: make check",
		"Also on your hook (after " + a + "): " + b, "📬 1 unread message(s): gt mail inbox"} {
		if !strings.Contains(text, want) {
			t.Errorf("prime lacks %q", want)
		}
	}
	if strings.Contains(text, "When every step is done, run gt done.") {
		t.Error("the Mayor is told to run gt done")
	}
	js, err := MarshalPrime(info)
	if err != nil || !strings.Contains(string(js), `"mail_unread": 1`) || !strings.Contains(string(js), `"name": "mol-polecat-work"`) {
		t.Fatalf("json %v\n%s", err, js)
	}
}

func TestSlingFormulaByRelativePath(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	dir := filepath.Join(f.base, "work")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "formula = \"mini\"\nversion = 1\ntype = \"workflow\"\n\n[vars.issue]\nrequired = true\n\n[[steps]]\nid = \"one\"\ntitle = \"Do {{issue}}\"\n"
	if err := os.WriteFile(filepath.Join(dir, "mini.formula.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	id := f.create(t, "hq", "Path formula")
	if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{id, "mayor"}, Actor: "overseer", NoConvoy: true, Formula: "./mini.formula.toml", Cwd: dir}); err != nil {
		t.Fatal(err)
	}
	if a := BeadAttachment(f.get(t, id)); a.Formula != filepath.Join(dir, "mini.formula.toml") {
		t.Fatalf("attached %q", a.Formula)
	}
	info, err := f.tw.Prime(ctx, models.MayorAddress)
	if err != nil || info.Formula == nil || len(info.Formula.Steps) != 1 || info.Formula.Steps[0].Title != "Do "+id {
		t.Fatalf("prime %+v %v (%s)", info.Formula, err, info.FormulaError)
	}
}

func TestSlingNudgesLiveAgent(t *testing.T) {
	f := newOrchFixture(t)
	if len(filepath.Join(f.tw.Root, ".runtime", "host.sock")) > 100 {
		t.Skip("temp dir too long for a unix socket path")
	}
	h := &fakeHost{sessions: []SessionRecord{{Agent: "mayor", Runtime: "claude", PID: 99}}}
	startFakeHost(t, f.tw.Root, h)
	ctx := context.Background()
	id := f.create(t, "hq", "For the live Mayor")
	var out bytes.Buffer
	if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{id, "mayor"}, Actor: "overseer", AgentArgs: "hurry", Agent: "codex", Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "⚠ mayor is already running; --agent codex ignored\n⚡ Nudged mayor\n") {
		t.Fatalf("output:\n%s", out.String())
	}
	var nudged bool
	for _, r := range h.requests() {
		if r.Op == OpNudge && r.Agent == "mayor" && r.Message == "Work slung: "+id+". Run gt hook to see it, then begin. Args: hurry" {
			nudged = true
		}
	}
	if !nudged {
		t.Fatalf("no sling notice: %+v", h.requests())
	}
	// An agent whose session exited is started instead.
	out.Reset()
	other := f.create(t, "hq", "For a stopped Mayor")
	h.mu.Lock()
	h.sessions = []SessionRecord{{Agent: "mayor", Exited: true}}
	h.mu.Unlock()
	if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{other, "mayor"}, Actor: "overseer", Force: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "▶ Starting mayor (claude)\n") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestParseTarget(t *testing.T) {
	f := newOrchFixture(t)
	if _, err := f.tw.AddCrew(context.Background(), CrewAddOptions{Names: []string{"bob"}, Rig: "myproj"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   string
		want string // canonical target, "" = error
		kind targetKind
	}{
		{"mayor", "mayor", targetMayor},
		{"mayor/", "mayor", targetMayor},
		{"myproj", "myproj", targetRig},
		{"myproj/bob", "myproj/crew/bob", targetCrew},
		{"myproj/nux", "myproj/polecats/nux", targetPolecat},
		{"myproj/polecats/nux", "myproj/polecats/nux", targetPolecat},
		{"myproj/crew/bob", "myproj/crew/bob", targetCrew},
		{"myproj/polecats/bob", "", 0},
		{"myproj/crew/nobody", "", 0},
		{"otherrig", "", 0},
		{"otherrig/nux", "", 0},
		{"myproj/bad-name", "", 0},
		{"myproj/polecats/mayor", "", 0},
		{"overseer", "", 0},
		{"myproj/a/b/c", "", 0},
	}
	for _, c := range cases {
		g, err := f.tw.parseTarget(c.in)
		if c.want == "" {
			if err == nil || !strings.HasPrefix(err.Error(), "unknown target ") {
				t.Errorf("parseTarget(%q) = %v, %v; want unknown target", c.in, g, err)
			}
			continue
		}
		if err != nil || g.String() != c.want || g.kind != c.kind {
			t.Errorf("parseTarget(%q) = %v (%v), %v; want %s (%v)", c.in, g, g.kind, err, c.want, c.kind)
		}
	}
	if _, err := f.tw.parseTarget("myproj/bad-name"); err == nil || !strings.Contains(err.Error(), `invalid agent name "bad-name"`) {
		t.Errorf("a dashed name should say why it is refused: %v", err)
	}
	for in, want := range map[string]bool{"mayor": true, "myproj": true, "a/b": true, "mp-abc12": false, "abc12": true, "x.y": false} {
		if got := looksLikeTarget(in); got != want {
			t.Errorf("looksLikeTarget(%q) = %v", in, got)
		}
	}
}

func TestDoneMovesToNextHookedBead(t *testing.T) {
	f := newOrchFixture(t)
	ctx := context.Background()
	a, b := f.create(t, "mp", "First of two"), f.create(t, "mp", "Second of two")
	for _, id := range []string{a, b} {
		if _, err := f.tw.Sling(ctx, SlingOptions{Args: []string{id, "myproj/nux"}, Actor: "mayor", NoConvoy: true}); err != nil {
			t.Fatal(err)
		}
	}
	nux := models.Address{Role: models.RolePolecat, Rig: "myproj", Name: "nux"}
	wt := f.tw.Workdir(nux)
	first := mustGit(t, wt, "symbolic-ref", "--short", "HEAD")
	if err := os.WriteFile(filepath.Join(wt, "one.txt"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := f.tw.Done(ctx, DoneOptions{Actor: nux.String(), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bead != a || res.Next != b || !strings.HasPrefix(res.NextBranch, "polecat/nux/"+b+"@") {
		t.Fatalf("done %+v", res)
	}
	if want := "✓ Work submitted: " + a + " (mr)\n🪝 Next on your hook: " + b + " (branch " + res.NextBranch + "). Run gt prime.\n"; out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	if cur := mustGit(t, wt, "symbolic-ref", "--short", "HEAD"); cur != res.NextBranch {
		t.Fatalf("worktree on %q", cur)
	}
	if _, err := os.Stat(filepath.Join(wt, "one.txt")); err == nil {
		t.Fatal("the next branch carries the first bead's work")
	}
	if msg := mustGit(t, wt, "log", "-1", "--format=%s", first); msg != a+": final changes (gt done)" {
		t.Fatalf("first branch %q", msg)
	}
	ab := f.get(t, "mp-myproj-polecat-nux")
	if ab.HookBead != b || ab.AgentState != models.AgentBeadWorking {
		t.Fatalf("agent bead %q %q", ab.HookBead, ab.AgentState)
	}
	// The second bead then finishes normally.
	if err := os.WriteFile(filepath.Join(wt, "two.txt"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := f.tw.Done(ctx, DoneOptions{Actor: nux.String(), Out: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "✓ Work submitted: "+b+" (mr)\nPolecat nux is now idle.\n" {
		t.Fatalf("second done %q", out.String())
	}
	outs, err := RefineryPass(ctx, f.tw, "myproj")
	if err != nil || len(outs) != 2 || outs[0].Result != MergeMerged || outs[1].Result != MergeMerged {
		t.Fatalf("refinery %+v %v", outs, err)
	}
}
