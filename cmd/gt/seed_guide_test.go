package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSeedGuide walks every command of the user guide (spec/seed-zh.txt) in
// order, as a user would, against a real town: install, rig, crew, agent
// configuration, doctor, convoys, sling, agents, prime, feed, the legacy
// runtime block, formulas and the dashboard. Bead IDs of the guide
// (gt-abc12, …) are replaced by beads made with bd create; a local bare
// repository stands in for https://github.com/you/repo.git.
//
// Each command is checked for its exit code, for the absence of panics and
// stack traces, and for the output lines SPEC.md fixes. A failing check is
// reported with t.Errorf so the rest of the guide still runs; only steps
// every later step depends on (install, rig add, crew add) are fatal.
func TestSeedGuide(t *testing.T) {
	start := time.Now()
	te := newTownEnv(t)

	// The stand-in for https://github.com/you/repo.git: a bare repository
	// with one commit on main, addressed by a file:// URL.
	src := townRepo(t, filepath.Join(te.root, "src"), map[string]string{"README.md": "# repo\n"})
	bare := filepath.Join(te.root, "repo.git")
	townGit(t, te.root, "clone", "-q", "--bare", src, bare)
	repoURL := "file://" + bare

	baseEnv := append(te.env(true),
		"GIT_AUTHOR_NAME=Guide User", "GIT_AUTHOR_EMAIL=user@example.com",
		"GIT_COMMITTER_NAME=Guide User", "GIT_COMMITTER_EMAIL=user@example.com")
	// Fake agent CLIs for what the town will run; auggie and cursor-agent
	// come later, once the guide starts using them.
	for _, name := range []string{"claude", "codex"} {
		te.fake(t, name)
	}

	town := filepath.Join(te.home, "gt")
	run := func(dir string, extra []string, args ...string) sgResult {
		t.Helper()
		env := append(append([]string{}, baseEnv...), extra...)
		out, errOut, code := runBin(t, dir, env, args...)
		r := sgResult{cmd: strings.Join(args, " "), out: out, err: errOut, code: code}
		for _, s := range []string{out, errOut} {
			if strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
				t.Errorf("%s: output has a panic or stack trace:\nstdout:\n%s\nstderr:\n%s", r.cmd, out, errOut)
			}
		}
		return r
	}
	gt := func(dir string, args ...string) sgResult {
		t.Helper()
		return run(dir, nil, append([]string{"gt"}, args...)...)
	}
	bd := func(dir string, args ...string) sgResult {
		t.Helper()
		return run(dir, nil, append([]string{"bd"}, args...)...)
	}
	mayorDir := filepath.Join(town, "mayor")
	mayorEnv := []string{"GT_ROLE=mayor", "BD_ACTOR=mayor", "GT_TOWN_ROOT=" + town}
	// asMayor runs gt as the Mayor does inside its session.
	asMayor := func(args ...string) sgResult {
		t.Helper()
		return run(mayorDir, mayorEnv, append([]string{"gt"}, args...)...)
	}
	newBead := func(title string) string {
		t.Helper()
		r := bd(town, "create", "--silent", "--rig", "myproject", title)
		r.code0(t)
		id := strings.TrimSpace(r.out)
		if !regexp.MustCompile(`^my-[0-9a-z]{5}$`).MatchString(id) {
			t.Fatalf("bd create --rig myproject printed %q, want one my-xxxxx ID", r.out)
		}
		return id
	}
	type beadJSON struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Assignee string `json:"assignee"`
	}
	showBead := func(id string) beadJSON {
		t.Helper()
		var bs []beadJSON
		bdJSON(t, town, baseEnv, &bs, "show", id)
		if len(bs) != 1 {
			t.Fatalf("bd show %s --json: %d beads", id, len(bs))
		}
		return bs[0]
	}
	type agentJSON struct {
		Address string `json:"address"`
		State   string `json:"state"`
		Hook    string `json:"hook"`
		Runtime string `json:"runtime"`
		Session string `json:"session"`
	}
	agentsJSON := func() map[string]agentJSON {
		t.Helper()
		r := gt(town, "agents", "--json")
		r.code0(t)
		var rows []agentJSON
		if err := json.Unmarshal([]byte(r.out), &rows); err != nil {
			t.Fatalf("gt agents --json: %v\n%s", err, r.out)
		}
		m := map[string]agentJSON{}
		for _, a := range rows {
			m[a.Address] = a
		}
		return m
	}
	mayorWanted := func(when string) (bool, string) {
		t.Helper()
		r := gt(town, "mayor", "status", "--json")
		r.code0(t)
		var st struct {
			Wanted  bool   `json:"wanted"`
			Runtime string `json:"runtime"`
		}
		if err := json.Unmarshal([]byte(r.out), &st); err != nil {
			t.Errorf("gt mayor status --json (%s): %v\n%s", when, err, r.out)
		}
		return st.Wanted, st.Runtime
	}
	doctorChecks := []string{"town-config-valid", "rigs-registry-valid", "beads-db", "beads-jsonl-sync", "prefix-conflicts",
		"rig-structure", "git-version", "runtime-bin", "agent-commands", "settings-valid", "formulas", "stale-host-lock",
		"orphan-worktrees", "hooked-to-unknown-agent", "stalled-polecats", "town-gitignore"}
	doctorAllOK := func(when string) {
		t.Helper()
		r := gt(town, "doctor")
		want := make([]string, 0, len(doctorChecks)+1)
		for _, c := range doctorChecks {
			want = append(want, "✓ "+c)
		}
		want = append(want, fmt.Sprintf("%d passed, 0 warnings, 0 errors", len(doctorChecks)))
		if r.code != 0 || strings.Join(r.outLines(), "\n") != strings.Join(want, "\n") {
			t.Errorf("gt doctor (%s): want exit 0 and every check ✓, got %s", when, r.dump())
		}
	}

	// ── 2. 创建工作空间: gt install ~/gt --git; cd ~/gt ──────────────────
	r := run(te.root, nil, "gt", "install", "~/gt", "--git")
	if r.code != 0 {
		t.Fatalf("gt install ~/gt --git: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	r.linePrefix(t, "✓ Created mayor/town.json")
	r.line(t, "✓ Created agent bead hq-mayor")
	r.lines(t, "Next steps:", "  1. gt rig add <name> <git-url>", "  2. gt crew add <name> --rig <rig>", "  3. gt mayor attach")
	if _, err := os.Stat(filepath.Join(town, "mayor", "town.json")); err != nil {
		t.Fatalf("gt install ~/gt did not expand ~ to $HOME: %v", err)
	}
	for _, f := range []string{".gitignore", "CLAUDE.md", "AGENTS.md", ".beads/issues.jsonl", "mayor/rigs.json", "mayor/overseer.json"} {
		if _, err := os.Lstat(filepath.Join(town, f)); err != nil {
			t.Errorf("gt install --git: %s missing: %v", f, err)
		}
	}
	if msg := townGit(t, town, "log", "-1", "--format=%s"); msg != "Initialize Gas Town" {
		t.Errorf("gt install --git: first commit %q, want %q", msg, "Initialize Gas Town")
	}

	// ── 3. 初始化工程: gt rig add myproject <repo> ──────────────────────
	r = gt(town, "rig", "add", "myproject", repoURL)
	if r.code != 0 {
		t.Fatalf("gt rig add: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	r.lines(t, "✓ Rig myproject added (prefix my)", "  Repo: "+repoURL, "  Branch: main",
		"  Path: "+filepath.Join(town, "myproject"), "Next: gt crew add <name> --rig myproject")
	for _, d := range []string{"config.json", ".repo.git", "mayor/rig/README.md", "refinery/rig/README.md", "crew", "polecats", "settings"} {
		if _, err := os.Stat(filepath.Join(town, "myproject", d)); err != nil {
			t.Errorf("gt rig add: myproject/%s missing: %v", d, err)
		}
	}

	// ── 4. 创建crew空间: gt crew add yourname --rig myproject ──────────
	r = gt(town, "crew", "add", "yourname", "--rig", "myproject")
	if r.code != 0 {
		t.Fatalf("gt crew add: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	crewDir := filepath.Join(town, "myproject", "crew", "yourname")
	r.lines(t, "✓ Crew workspace myproject/crew/yourname created", "  Path: "+crewDir, "  Branch: main",
		"Start it with: gt crew start myproject/yourname")
	if _, err := os.Stat(filepath.Join(crewDir, "README.md")); err != nil {
		t.Fatalf("cd myproject/crew/yourname: the crew clone has no checkout: %v", err)
	}

	// ── 5. 运行Mayor session: gt mayor attach (from the crew directory) ─
	// Without a terminal it must fail with one clear line, no panic, and
	// leave the Mayor wanted so the next gt starts it.
	r = gt(crewDir, "mayor", "attach")
	r.failsOneLine(t, "terminal")
	if wanted, _ := mayorWanted("after gt mayor attach without a terminal"); !wanted {
		t.Errorf("gt mayor attach without a terminal: the Mayor is not marked wanted (spec §6.2: attach marks the Mayor wanted, then starts the TUI)")
	}
	// 若未能正确运行,请执行gt doctor
	doctorAllOK("after install")

	// ── 实践: a custom agent as the default ────────────────────────────
	r = gt(town, "config", "agent", "set", "deepseek-x", "deepseek-x --dangerously-skip-permissions")
	r.code0(t)
	r.exact(t, "✓ Agent deepseek-x = deepseek-x --dangerously-skip-permissions\n")
	r = gt(town, "config", "agent", "list")
	r.code0(t)
	r.lines(t, "Agents:")
	r.line(t, "  deepseek-x [custom] deepseek-x --dangerously-skip-permissions")
	r.line(t, "  claude [built-in] claude --dangerously-skip-permissions")
	r.line(t, "  auggie [built-in] auggie --allow-indexing")
	r.line(t, "  cursor [built-in] cursor-agent -f")
	r.line(t, "Default: claude")
	r.sortedAgents(t)
	r = gt(town, "config", "default-agent", "deepseek-x")
	r.code0(t)
	r.exact(t, "Default agent set to 'deepseek-x'\n")
	r = gt(town, "config", "default-agent")
	r.code0(t)
	r.exact(t, "Default agent: deepseek-x\n")
	// "注意 deepseek-XXX 一定为可执行命令": not installed yet, doctor says so.
	r = gt(town, "doctor")
	r.wantExit(t, 1)
	// The check's line may end with its one-line fix hint.
	r.linePrefix(t, `✗ agent-commands: agent command "deepseek-x" not found on PATH (agent deepseek-x)`)
	r.line(t, fmt.Sprintf("%d passed, 0 warnings, 1 errors", len(doctorChecks)-1))
	// Spec §6.7: "one line per check", then the summary.
	for _, l := range r.outLines() {
		if !strings.HasPrefix(l, "✓ ") && !strings.HasPrefix(l, "⚠ ") && !strings.HasPrefix(l, "✗ ") && !strings.HasSuffix(l, " errors") {
			t.Errorf("gt doctor: line %q is neither a check line nor the summary (spec §6.7: one line per check, then N passed, N warnings, N errors)", l)
		}
	}
	te.fake(t, "deepseek-x")
	doctorAllOK("deepseek-x installed")
	// The guide's point: the default agent is what the Mayor now runs.
	if ag := agentsJSON(); ag["mayor"].Runtime != "deepseek-x" || ag["myproject/crew/yourname"].Runtime != "deepseek-x" {
		t.Errorf("after gt config default-agent deepseek-x: gt agents runtime mayor=%q crew=%q, want deepseek-x for both (spec §5.3: no --agent given → town default_agent; gt mayor attach without --agent should not pin the then-default alias)",
			ag["mayor"].Runtime, ag["myproject/crew/yourname"].Runtime)
	}

	// ── Configuration: more custom agents, new default ─────────────────
	r = gt(town, "config", "agent", "set", "claude-glm", "claude-glm --model glm-4")
	r.code0(t)
	r.exact(t, "✓ Agent claude-glm = claude-glm --model glm-4\n")
	r = gt(town, "config", "agent", "set", "codex-low", "codex --thinking low")
	r.code0(t)
	r.exact(t, "✓ Agent codex-low = codex --thinking low\n")
	r = gt(town, "config", "default-agent", "claude-glm")
	r.code0(t)
	r.exact(t, "Default agent set to 'claude-glm'\n")
	r = gt(town, "config", "agent", "list")
	r.code0(t)
	r.line(t, "  claude-glm [custom] claude-glm --model glm-4")
	r.line(t, "  codex-low [custom] codex --thinking low")
	r.line(t, "Default: claude-glm")
	r.sortedAgents(t)
	te.fake(t, "claude-glm")
	doctorAllOK("claude-glm installed")

	// ── 示例:功能开发 (in the Mayor session) ────────────────────────────
	a, b := newBead("Add login form"), newBead("Add logout button")
	r = asMayor("convoy", "create", "Feature X", a, b, "--notify", "--human")
	r.code0(t)
	featureX := r.convoyCreated(t)
	r.lines(t, "  Name:     Feature X", "  Tracking: 2 issues", "  Issues:   "+a+", "+b, "  Owner:    mayor",
		"  Notify:   mayor, overseer", "", "  Lands (closes itself) when every tracked issue is closed")

	r = asMayor("sling", a, "myproject")
	r.code0(t)
	r.lines(t, "🎯 Sling "+a+" → myproject/polecats/furiosa")
	r.line(t, "✓ Formula attached: mol-polecat-work")
	r.line(t, "🪝 Hooked "+a+" to myproject/polecats/furiosa (status=hooked)")
	r.line(t, "⏸ No gt host running: the work is hooked and starts when you run gt in "+town)
	r.noLinePrefix(t, "🚚 New convoy", a+" is already tracked by "+featureX)
	if bs := showBead(a); bs.Status != "hooked" || bs.Assignee != "myproject/polecats/furiosa" {
		t.Errorf("after gt sling %s myproject: status %q assignee %q", a, bs.Status, bs.Assignee)
	}
	if _, err := os.Stat(filepath.Join(town, "myproject", "polecats", "furiosa", "myproject", "README.md")); err != nil {
		t.Errorf("gt sling %s myproject: no polecat worktree: %v", a, err)
	}

	// gt sling <bead-id> <rig> --agent cursor: override the runtime.
	cur := newBead("Try the cursor agent")
	r = asMayor("sling", cur, "myproject", "--agent", "cursor")
	r.code0(t)
	r.lines(t, "🎯 Sling "+cur+" → myproject/polecats/nux")
	r.linePrefix(t, "🚚 New convoy hq-cv-")
	r.line(t, "🪝 Hooked "+cur+" to myproject/polecats/nux (status=hooked)")
	autoConvoy := ""
	if m := regexp.MustCompile(`(?m)^🚚 New convoy (hq-cv-[a-z2-7]{5}) tracks ` + regexp.QuoteMeta(cur) + `$`).FindStringSubmatch(r.out); m != nil {
		autoConvoy = m[1]
	} else {
		t.Errorf("gt sling %s myproject --agent cursor: no `🚚 New convoy <id> tracks %s` line:\n%s", cur, cur, r.out)
	}
	if ag := agentsJSON(); ag["myproject/polecats/nux"].Runtime != "cursor" {
		t.Errorf("gt sling %s myproject --agent cursor: gt agents shows runtime %q for myproject/polecats/nux, want cursor (the runtime its session will start with, spec §6.3 --agent)",
			cur, ag["myproject/polecats/nux"].Runtime)
	}

	r = asMayor("convoy", "list")
	r.code0(t)
	r.lines(t, "Convoys", "", "  1. 🚚 "+featureX+": Feature X ●", "  2. 🚚 "+autoConvoy+": Work: Try the cursor agent ●", "",
		"Use 'gt convoy show <id>' or 'gt convoy show <n>' for details.")

	r = asMayor("agents")
	r.code0(t)
	r.agentsTable(t, []string{"mayor", "myproject/crew/yourname", "myproject/polecats/furiosa", "myproject/polecats/nux"})
	r.rowFields(t, "myproject/polecats/furiosa", "polecat", "💀", "zombie", a)
	r.rowFields(t, "myproject/polecats/nux", "polecat", "💀", "zombie", cur)
	r.line(t, "(no gt host running: live session states unavailable)")

	// ── 1. Mayor Workflow ──────────────────────────────────────────────
	r = gt(town, "mayor", "attach")
	r.failsOneLine(t, "terminal")
	x, y := newBead("Auth: login endpoint"), newBead("Auth: token refresh")
	r = asMayor("convoy", "create", "Auth System", x, y, "--notify")
	r.code0(t)
	authSystem := r.convoyCreated(t)
	r.lines(t, "  Name:     Auth System", "  Tracking: 2 issues", "  Issues:   "+x+", "+y, "  Owner:    mayor", "  Notify:   mayor")
	r = asMayor("convoy", "list")
	r.code0(t)
	r.line(t, "  3. 🚚 "+authSystem+": Auth System ●")

	// ── 2. 极简模式 ─────────────────────────────────────────────────────
	e := newBead("Fix the crash on start")
	r = gt(town, "convoy", "create", "Fix bugs", e)
	r.code0(t)
	fixBugs := r.convoyCreated(t)
	r.lines(t, "  Name:     Fix bugs", "  Tracking: 1 issues", "  Issues:   "+e, "  Owner:    overseer")
	r = gt(town, "sling", e, "myproject")
	r.code0(t)
	r.lines(t, "🎯 Sling "+e+" → myproject/polecats/slit")
	r.line(t, "🪝 Hooked "+e+" to myproject/polecats/slit (status=hooked)")
	r.noLinePrefix(t, "🚚 New convoy", e+" is already tracked by "+fixBugs)
	r = gt(town, "convoy", "list")
	r.code0(t)
	r.line(t, "  4. 🚚 "+fixBugs+": Fix bugs ●")

	// ── 3. Beads Formula Workflow ──────────────────────────────────────
	r = bd(town, "formula", "list")
	r.code0(t)
	if ls := r.outLines(); len(ls) == 0 || strings.Join(strings.Fields(ls[0]), " ") != "NAME TYPE STEPS VARS SOURCE" {
		t.Errorf("bd formula list: header %q, want NAME  TYPE  STEPS  VARS  SOURCE", r.out)
	}
	r.fieldsLine(t, "release workflow 5 1 embedded")
	r.fieldsLine(t, "mol-polecat-work workflow 5 4 embedded")

	r = bd(town, "cook", "release", "--var", "version=1.2.0")
	r.code0(t)
	r.lines(t, "Formula: release (workflow, v1)", "Vars: version=1.2.0", "Steps:",
		"  1. bump-version  Bump version", "     Run ./scripts/bump-version.sh 1.2.0",
		"  2. run-tests  Run tests  [needs: bump-version]", "     Run make test",
		"  3. build  Build  [needs: run-tests]", "     Run make build",
		"  4. create-tag  Create release tag  [needs: build]", "     Run git tag -a v1.2.0 -m 'Release v1.2.0'",
		"  5. publish  Publish  [needs: create-tag]", "     Run ./scripts/publish.sh")

	r = bd(town, "mol", "pour", "release", "--var", "version=1.2.0")
	r.code0(t)
	mol := ""
	if m := regexp.MustCompile(`^✓ Poured molecule (hq-mol-[0-9a-z]{5,8}) \(release\): 5 steps\n$`).FindStringSubmatch(r.out); m != nil {
		mol = m[1]
	} else {
		t.Errorf("bd mol pour release: output %q, want `✓ Poured molecule <root> (release): 5 steps`", r.out)
	}
	r = bd(town, "mol", "list")
	r.code0(t)
	if mol != "" {
		found := false
		for _, l := range r.outLines() {
			f := strings.Fields(l)
			if len(f) >= 6 && f[0] == mol && f[1] == "release" && f[2] == "0/5" && f[3] == "open" && f[4] == "next:" &&
				strings.HasSuffix(l, "Bump version") {
				found = true
			}
		}
		if !found {
			t.Errorf("bd mol list: no line `%s  release  0/5  open  next: <step> Bump version`:\n%s", mol, r.out)
		}
	}
	r = bd(town, "cook", "release")
	r.wantExit(t, 1)
	if !strings.Contains(r.err, `missing required variable "version" (provide --var version=<value>)`) ||
		!strings.HasSuffix(r.err, "Error: formula validation failed: 1 errors\n") {
		t.Errorf("bd cook release without --var: stderr %q, want the missing `version` error then `formula validation failed: 1 errors` (spec §7.3)", r.err)
	}
	if r.out != "" {
		t.Errorf("bd cook release without --var: stdout %q, want nothing", r.out)
	}

	// ── 4. Manual Convoy Workflow ──────────────────────────────────────
	r = gt(town, "convoy", "create", "Bug Fixes", "--human")
	r.code0(t)
	bugFixes := r.convoyCreated(t)
	r.lines(t, "  Name:     Bug Fixes", "  Tracking: 0 issues")
	r.line(t, "  Notify:   overseer")
	f, g := newBead("Null pointer in parser"), newBead("Off-by-one in pager")
	r = gt(town, "convoy", "add", bugFixes, f, g)
	r.code0(t)
	r.exact(t, "✓ Convoy 🚚 "+bugFixes+" now tracks 2 more issue(s)\n")
	// The guide writes myproject/my-agent, but '-' is not allowed in agent
	// names: a clear one-line error, nothing changed.
	r = gt(town, "sling", f, "myproject/my-agent")
	r.failsOneLine(t, "myproject/my-agent")
	if bs := showBead(f); bs.Status != "open" || bs.Assignee != "" {
		t.Errorf("failed gt sling %s myproject/my-agent changed the bead: status %q assignee %q", f, bs.Status, bs.Assignee)
	}
	if _, err := os.Stat(filepath.Join(town, "myproject", "polecats", "my-agent")); !os.IsNotExist(err) {
		t.Errorf("failed gt sling to myproject/my-agent left a polecat directory (err %v)", err)
	}
	r = gt(town, "sling", f, "myproject/my_agent")
	r.code0(t)
	r.lines(t, "🎯 Sling "+f+" → myproject/polecats/my_agent")
	r.line(t, "🪝 Hooked "+f+" to myproject/polecats/my_agent (status=hooked)")
	r.noLinePrefix(t, "🚚 New convoy", f+" is tracked by "+bugFixes)

	r = gt(town, "convoy", "show")
	r.code0(t)
	r.lines(t, "Convoys", "", "  1. 🚚 "+featureX+": Feature X ●", "  2. 🚚 "+autoConvoy+": Work: Try the cursor agent ●",
		"  3. 🚚 "+authSystem+": Auth System ●", "  4. 🚚 "+fixBugs+": Fix bugs ●", "  5. 🚚 "+bugFixes+": Bug Fixes ●")
	r = gt(town, "convoy", "show", bugFixes)
	r.code0(t)
	r.lines(t, "🚚 "+bugFixes+": Bug Fixes", "", "  Status:    ●", "  Owned:     no", "  Progress:  0/2 completed")
	r.linePrefix(t, "  Created:   ")
	r.lines(t, "  Tracked Issues:", "    ▶ "+f+": Null pointer in parser [myproject/polecats/my_agent]", "    ○ "+g+": Off-by-one in pager [task]")
	byIndex := gt(town, "convoy", "show", "5")
	byIndex.code0(t)
	if byIndex.out != r.out {
		t.Errorf("gt convoy show 5 differs from gt convoy show %s:\n%s\n---\n%s", bugFixes, byIndex.out, r.out)
	}

	// ── 命令参考: workspace and agents ──────────────────────────────────
	r = gt(town, "rig", "list")
	r.code0(t)
	r.exact(t, "Rigs in "+town+":\n  myproject  (prefix my)\n     Polecats: 4 (4 working)  Crew: 1  Merge queue: 0\n")

	r = gt(town, "mayor", "start", "--agent", "auggie")
	r.code0(t)
	r.exact(t, "✓ Mayor will run with auggie; it starts when you run gt\n")
	r = gt(town, "mayor", "status")
	r.code0(t)
	r.exact(t, "Mayor: idle (auggie)\n")
	// auggie is not installed: spec §5.3 says gt doctor then fails
	// agent-commands (the Mayor is wanted with it).
	r = gt(town, "doctor")
	if r.code != 1 || !strings.Contains(r.out, `✗ agent-commands: agent command "auggie" not found on PATH (agent auggie)`) {
		t.Errorf("gt doctor with the Mayor wanted as auggie (not installed): exit %d, want 1 and `✗ agent-commands: agent command \"auggie\" not found on PATH (agent auggie)` (spec §5.3, §6.7):\n%s", r.code, r.out)
	}
	te.fake(t, "auggie")
	te.fake(t, "cursor-agent")
	doctorAllOK("auggie and cursor-agent installed")
	// attach again: still no terminal, the Mayor stays wanted with auggie.
	r = gt(town, "mayor", "attach")
	r.failsOneLine(t, "terminal")
	if wanted, rt := mayorWanted("after the second gt mayor attach"); !wanted || rt != "auggie" {
		t.Errorf("after gt mayor start --agent auggie and gt mayor attach: wanted=%v runtime=%q, want wanted with auggie", wanted, rt)
	}

	// gt prime inside the polecat's session.
	wt := filepath.Join(town, "myproject", "polecats", "furiosa", "myproject")
	polecatEnv := []string{"GT_ROLE=polecat", "BD_ACTOR=myproject/polecats/furiosa", "GT_TOWN_ROOT=" + town, "GT_RIG=myproject", "GT_POLECAT=furiosa"}
	r = run(wt, polecatEnv, "gt", "prime")
	r.code0(t)
	if ls := r.outLines(); len(ls) == 0 || !regexp.MustCompile(`^\[GAS TOWN\] role:myproject/polecats/furiosa pid:\d+ town:gt$`).MatchString(ls[0]) {
		t.Errorf("gt prime: first line %q, want `[GAS TOWN] role:myproject/polecats/furiosa pid:<ppid> town:gt`", r.out)
	}
	r.line(t, "# Polecat context")
	r.line(t, "## Hooked work")
	r.line(t, "## Formula checklist: mol-polecat-work")
	r.linePrefix(t, "1. [ ] ")
	r.linePrefix(t, "5. [ ] ")
	if !strings.Contains(r.out, a) || !strings.Contains(r.out, "Add login form") {
		t.Errorf("gt prime: hooked bead %s (Add login form) not shown:\n%s", a, r.out)
	}
	if ls := r.outLines(); len(ls) == 0 || ls[len(ls)-1] != "When every step is done, run gt done." {
		t.Errorf("gt prime: last line should be `When every step is done, run gt done.`:\n%s", r.out)
	}
	r = run(wt, polecatEnv, "gt", "prime", "--json")
	r.code0(t)
	var prime struct {
		Address string `json:"address"`
		Role    string `json:"role"`
		Hooked  *struct {
			ID string `json:"id"`
		} `json:"hooked"`
		Formula *struct {
			Name string `json:"name"`
		} `json:"formula"`
	}
	if err := json.Unmarshal([]byte(r.out), &prime); err != nil || prime.Address != "myproject/polecats/furiosa" ||
		prime.Role != "polecat" || prime.Hooked == nil || prime.Hooked.ID != a || prime.Formula == nil || prime.Formula.Name != "mol-polecat-work" {
		t.Errorf("gt prime --json: %v\n%s", err, r.out)
	}

	// gt feed / gt feed --problems without a terminal: plain mode.
	evLine := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S+ \S+ \S+ .+$`)
	for _, args := range [][]string{{"feed", "--plain"}, {"feed"}} {
		r = gt(town, args...)
		r.code0(t)
		ls := r.outLines()
		if len(ls) == 0 {
			t.Errorf("gt %s: no events", r.cmd)
		}
		sawSling, sawConvoy := false, false
		for _, l := range ls {
			if !evLine.MatchString(l) {
				t.Errorf("gt %s: line %q is not `<ts> <symbol> <actor> <type> <summary>`", r.cmd, l)
			}
			sawSling = sawSling || (strings.Contains(l, " 🎯 mayor sling ") && strings.Contains(l, a))
			sawConvoy = sawConvoy || (strings.Contains(l, " 🚚 mayor convoy_created ") && strings.Contains(l, featureX))
		}
		if !sawSling || !sawConvoy {
			t.Errorf("gt %s: missing the Mayor's sling of %s (%v) or convoy %s (%v):\n%s", r.cmd, a, sawSling, featureX, sawConvoy, r.out)
		}
	}
	r = gt(town, "feed", "--problems", "--plain")
	r.wantExit(t, 1)
	r.lines(t,
		"ZOMBIE  myproject/polecats/furiosa  "+a+"  - hooked work but no session",
		"ZOMBIE  myproject/polecats/my_agent  "+f+"  - hooked work but no session",
		"ZOMBIE  myproject/polecats/nux  "+cur+"  - hooked work but no session",
		"ZOMBIE  myproject/polecats/slit  "+e+"  - hooked work but no session",
		"4 need attention, 2 ok")

	// ── 运行时配置: the legacy runtime block in <rig>/settings/config.json ─
	rigSettings := filepath.Join(town, "myproject", "settings", "config.json")
	block := "{\n\"runtime\": {\n\"provider\": \"codex\",\n\"command\": \"codex\",\n\"args\": [],\n\"prompt_mode\": \"none\"\n}\n}\n"
	if err := os.WriteFile(rigSettings, []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}
	_, mayorRT := mayorWanted("before the rig runtime block")
	doctorAllOK("rig runtime block")
	ag := agentsJSON()
	for _, addr := range []string{"myproject/crew/yourname", "myproject/polecats/furiosa", "myproject/polecats/slit", "myproject/polecats/my_agent"} {
		if ag[addr].Runtime != "codex" {
			t.Errorf("with the rig runtime block: gt agents runtime of %s = %q, want codex (spec §11: runtime decides every role in that rig)", addr, ag[addr].Runtime)
		}
	}
	if ag["mayor"].Runtime != mayorRT {
		t.Errorf("with the rig runtime block: Mayor runtime %q, want %q as before (rig settings do not apply to the Mayor)", ag["mayor"].Runtime, mayorRT)
	}
	r = gt(town, "agents")
	r.code0(t)
	r.rowFields(t, "myproject/crew/yourname", "crew", "○", "idle", "-")
	if row := r.row("myproject/crew/yourname"); len(row) == 0 || row[len(row)-1] != "codex" {
		t.Errorf("gt agents: RUNTIME of myproject/crew/yourname is not codex: %v", row)
	}
	r = gt(town, "config", "agent", "get", "codex")
	r.code0(t)
	r.lines(t, "Name: codex", "Command: codex")
	r.line(t, "Prompt mode: none")
	h := newBead("Check the runtime")
	r = gt(town, "sling", h, "myproject", "--dry-run")
	r.code0(t)
	r.line(t, "Would create polecat myproject/polecats/rictus")
	r.line(t, "Would hook "+h+" to myproject/polecats/rictus (status=hooked)")
	r.line(t, "Would attach formula mol-polecat-work")
	for _, l := range r.outLines() {
		if !strings.HasPrefix(l, "Would ") {
			t.Errorf("gt sling --dry-run: line %q does not start with `Would `", l)
		}
	}
	if bs := showBead(h); bs.Status != "open" || bs.Assignee != "" {
		t.Errorf("gt sling --dry-run changed %s: status %q assignee %q", h, bs.Status, bs.Assignee)
	}
	if _, err := os.Stat(filepath.Join(town, "myproject", "polecats", "rictus")); !os.IsNotExist(err) {
		t.Errorf("gt sling --dry-run created the polecat directory (err %v)", err)
	}

	// ── 仪表板: gt dashboard --port <free port> ────────────────────────
	sgDashboard(t, town, baseEnv, "")
	// gt dashboard --open: xdg-open (open on macOS) gets the URL as one
	// argument; fakes record their argv.
	opened := filepath.Join(te.root, "opened.txt")
	for _, name := range []string{"xdg-open", "open"} {
		script := "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" > '" + opened + "'\n"
		if err := os.WriteFile(filepath.Join(te.fakeBin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sgDashboard(t, town, baseEnv, opened)

	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the seed guide walk took %s, want < 60s", d)
	}
}

// sgDashboard starts gt dashboard on a free port, fetches / once and stops
// it with Ctrl-C (SIGINT).
// With opened set, it runs gt dashboard --open and checks that the fake
// browser opener recorded in that file got the URL as its one argument.
func sgDashboard(t *testing.T, town string, env []string, opened string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"dashboard", "--port", fmt.Sprint(port)}
	if opened != "" {
		args = append(args, "--open")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir(t), "gt"), args...)
	cmd.Dir = town
	cmd.Env = append(cleanEnv(), env...)
	var errb strings.Builder
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lineCh := make(chan string, 1)
	rest := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		first, _ := br.ReadString('\n')
		lineCh <- first
		more, _ := io.ReadAll(br)
		rest <- string(more)
	}()
	var first string
	select {
	case first = <-lineCh:
	case <-time.After(10 * time.Second):
		t.Errorf("gt dashboard: no output within 10s")
	}
	if want := fmt.Sprintf("Dashboard: http://127.0.0.1:%d  (Ctrl-C to stop)\n", port); first != want {
		t.Errorf("gt dashboard: first line %q, want %q", first, want)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err = client.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("gt dashboard: GET /: %v", err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Gas Town Dashboard") {
			t.Errorf("gt dashboard: GET / = %d, body has Gas Town Dashboard: %v", resp.StatusCode, strings.Contains(string(body), "Gas Town Dashboard"))
		}
	}

	if opened != "" {
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		var got []byte
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got, _ = os.ReadFile(opened); len(got) > 0 {
				break
			}
		}
		if s := string(got); s != "1\n"+url+"\n" && s != "1\n"+url+"/\n" {
			t.Errorf("gt dashboard --open: the browser opener got %q, want the one argument %s", s, url)
		}
	}

	_ = cmd.Process.Signal(syscall.SIGINT)
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Errorf("gt dashboard after Ctrl-C: %v (stderr %q)", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-waitErr
		t.Errorf("gt dashboard did not stop within 10s of SIGINT")
	}
	var more string
	select {
	case more = <-rest:
	case <-time.After(5 * time.Second):
	}
	for _, s := range []string{first + more, errb.String()} {
		if strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			t.Errorf("gt dashboard: output has a panic or stack trace:\n%s", s)
		}
	}
}

// sgResult is one finished command of the guide walk.
type sgResult struct {
	cmd, out, err string
	code          int
}

func (r sgResult) dump() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

func (r sgResult) code0(t *testing.T) {
	t.Helper()
	r.wantExit(t, 0)
}

func (r sgResult) wantExit(t *testing.T, want int) {
	t.Helper()
	if r.code != want {
		t.Errorf("%s: want exit %d, got %s", r.cmd, want, r.dump())
	}
}

// failsOneLine checks exit 1 and exactly one stderr line `Error: …` that
// contains want (spec §6 conventions), nothing on stdout.
func (r sgResult) failsOneLine(t *testing.T, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.err, "\n"), "\n")
	if r.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") || !strings.Contains(lines[0], want) || r.out != "" {
		t.Errorf("%s: want exit 1 and one stderr line `Error: …%s…`, got %s", r.cmd, want, r.dump())
	}
}

func (r sgResult) outLines() []string {
	s := strings.TrimRight(r.out, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func (r sgResult) exact(t *testing.T, want string) {
	t.Helper()
	if r.out != want {
		t.Errorf("%s: stdout\n%q\nwant\n%q", r.cmd, r.out, want)
	}
}

// line checks that stdout has exactly this line.
func (r sgResult) line(t *testing.T, want string) {
	t.Helper()
	for _, l := range r.outLines() {
		if l == want {
			return
		}
	}
	t.Errorf("%s: no line %q in stdout:\n%s", r.cmd, want, r.out)
}

func (r sgResult) linePrefix(t *testing.T, prefix string) {
	t.Helper()
	for _, l := range r.outLines() {
		if strings.HasPrefix(l, prefix) {
			return
		}
	}
	t.Errorf("%s: no line starting %q in stdout:\n%s", r.cmd, prefix, r.out)
}

func (r sgResult) noLinePrefix(t *testing.T, prefix, why string) {
	t.Helper()
	for _, l := range r.outLines() {
		if strings.HasPrefix(l, prefix) {
			t.Errorf("%s: unexpected line %q (%s)", r.cmd, l, why)
		}
	}
}

// lines checks that stdout holds these lines consecutively, in order.
func (r sgResult) lines(t *testing.T, want ...string) {
	t.Helper()
	ls := r.outLines()
	for i := 0; i+len(want) <= len(ls); i++ {
		ok := true
		for j, w := range want {
			if ls[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return
		}
	}
	t.Errorf("%s: stdout lacks the consecutive lines\n%s\ngot:\n%s", r.cmd, strings.Join(want, "\n"), r.out)
}

// fieldsLine checks for a line whose whitespace-separated fields are want's.
func (r sgResult) fieldsLine(t *testing.T, want string) {
	t.Helper()
	for _, l := range r.outLines() {
		if strings.Join(strings.Fields(l), " ") == want {
			return
		}
	}
	t.Errorf("%s: no line with fields %q:\n%s", r.cmd, want, r.out)
}

// convoyCreated checks the `✓ Created convoy 🚚 <id>` line and returns the ID.
func (r sgResult) convoyCreated(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`^✓ Created convoy 🚚 (hq-cv-[a-z2-7]{5})\n\n`).FindStringSubmatch(r.out)
	if m == nil {
		t.Errorf("%s: output does not start with `✓ Created convoy 🚚 hq-cv-xxxxx` and a blank line:\n%s", r.cmd, r.out)
		return "hq-cv-?????"
	}
	return m[1]
}

// sortedAgents checks gt config agent list's entries are sorted by name.
func (r sgResult) sortedAgents(t *testing.T) {
	t.Helper()
	var names []string
	for _, l := range r.outLines() {
		if strings.HasPrefix(l, "  ") {
			names = append(names, strings.Fields(l)[0])
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Errorf("%s: agents not sorted by name: %v", r.cmd, names)
			return
		}
	}
}

// agentsTable checks gt agents' header and that rows come in this order.
func (r sgResult) agentsTable(t *testing.T, order []string) {
	t.Helper()
	ls := r.outLines()
	if len(ls) == 0 || strings.Join(strings.Fields(ls[0]), " ") != "AGENT ROLE STATE HOOK IDLE RUNTIME" {
		t.Errorf("%s: header is not AGENT  ROLE  STATE  HOOK  IDLE  RUNTIME:\n%s", r.cmd, r.out)
		return
	}
	var got []string
	for _, l := range ls[1:] {
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(l, "(") {
			got = append(got, f[0])
		}
	}
	if strings.Join(got, ",") != strings.Join(order, ",") {
		t.Errorf("%s: rows %v, want %v", r.cmd, got, order)
	}
}

// row returns the fields of the gt agents row for address.
func (r sgResult) row(address string) []string {
	for _, l := range r.outLines() {
		if f := strings.Fields(l); len(f) > 0 && f[0] == address {
			return f
		}
	}
	return nil
}

// rowFields checks the gt agents row's fields after the address.
func (r sgResult) rowFields(t *testing.T, address string, want ...string) {
	t.Helper()
	f := r.row(address)
	if len(f) < 1+len(want) || strings.Join(f[1:1+len(want)], " ") != strings.Join(want, " ") {
		t.Errorf("%s: row of %s = %v, want it to start %v", r.cmd, address, f, want)
	}
}
