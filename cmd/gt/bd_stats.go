package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

// statsSummary is the bd stats --json shape (spec §6.8).
type statsSummary struct {
	Total      int     `json:"total_issues"`
	Open       int     `json:"open_issues"`
	InProgress int     `json:"in_progress_issues"`
	Closed     int     `json:"closed_issues"`
	Blocked    int     `json:"blocked_issues"`
	Deferred   int     `json:"deferred_issues"`
	Ready      int     `json:"ready_issues"`
	Pinned     int     `json:"pinned_issues"`
	Hooked     int     `json:"-"` // text only: the JSON keys are exactly the spec's
	LeadHours  float64 `json:"average_lead_time_hours"`
}

func newBDStatsCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Count beads by state",
		Args:  cobra.NoArgs,
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, _ []string) error {
			st, err := s.store.Stats(s.ctx)
			if err != nil {
				return err
			}
			sum := statsSummary{
				Total: st.Total, Open: st.Open, InProgress: st.InProgress, Closed: st.Closed,
				Blocked: st.Blocked, Deferred: st.Deferred, Ready: st.Ready, Pinned: st.Pinned,
				Hooked: st.Hooked, LeadHours: st.AverageLeadTimeHours,
			}
			if s.asJSON {
				return s.printJSON(map[string]any{"summary": sum})
			}
			rows := [][2]string{
				{"Total", strconv.Itoa(sum.Total)},
				{"Open", strconv.Itoa(sum.Open)},
				{"In Progress", strconv.Itoa(sum.InProgress)},
				{"Hooked", strconv.Itoa(sum.Hooked)},
				{"Blocked", strconv.Itoa(sum.Blocked)},
				{"Deferred", strconv.Itoa(sum.Deferred)},
				{"Ready", strconv.Itoa(sum.Ready)},
				{"Pinned", strconv.Itoa(sum.Pinned)},
				{"Closed", strconv.Itoa(sum.Closed)},
			}
			if sum.Closed > 0 {
				rows = append(rows, [2]string{"Avg Lead Time", fmt.Sprintf("%.1f hours", sum.LeadHours)})
			}
			kvBlock(s.e.stdout, rows)
			return nil
		}),
	}
}
