package perf

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// benchTables turns a report into its tables: one per scale, then the
// growth table. Each table is a title and rows, the first row the header.
type benchTable struct {
	title string
	rows  [][]string
	right []bool // right-aligned columns
}

func benchTables(rep Report) []benchTable {
	var out []benchTable
	for _, s := range rep.Scales {
		t := benchTable{
			title: fmt.Sprintf("%s: %s commands, %s areas, %s events", ScaleName(s.Scale), thousands(float64(s.Commands)), thousands(float64(s.Areas)), thousands(float64(s.Events))),
			rows:  [][]string{{"phase", "work", "time", "rate", "ratio to ceiling", "target", "peak RSS"}},
			right: []bool{false, true, true, true, false, false, true},
		}
		sized := false
		for _, p := range s.Phases {
			sized = sized || p.Bytes > 0
		}
		if sized {
			t.rows[0] = append(t.rows[0], "size")
			t.right = append(t.right, false)
		}
		for _, p := range s.Phases {
			if p.Skipped != "" {
				row := []string{p.Name, "", "", "", "skipped: " + p.Skipped, "", ""}
				if sized {
					row = append(row, "")
				}
				t.rows = append(t.rows, row)
				continue
			}
			ratio := ""
			switch {
			case p.Ceiling == "":
				if isCeiling(p.Key) {
					ratio = "ceiling"
				}
			case p.Ratio > 0:
				ratio = fmt.Sprintf("%.2f of %s", p.Ratio, phaseSpecs[p.Ceiling].name)
			}
			target := p.Target
			peak := fmt.Sprintf("%.0f MiB", p.PeakRSSMiB)
			if p.Child {
				peak += " (own process)"
			}
			row := []string{p.Name, formatCount(p.Units, p.Unit), formatSeconds(p.Seconds), formatRate(p), ratio, target, peak}
			if sized {
				row = append(row, formatSize(p))
			}
			t.rows = append(t.rows, row)
		}
		out = append(out, t)
	}
	if len(rep.Growth) > 0 {
		t := benchTable{title: "Growth: cost per unit of work at each scale ÷ cost at " + ScaleName(rep.Scales[0].Scale) + " (1 = linear, above 1 = worse than linear)"}
		head := []string{"phase"}
		t.right = []bool{false}
		for _, s := range rep.Scales {
			head = append(head, ScaleName(s.Scale))
			t.right = append(t.right, true)
		}
		t.rows = append(t.rows, head)
		for _, g := range rep.Growth {
			row := []string{g.Name}
			for _, s := range rep.Scales {
				if v, ok := g.Growth[ScaleName(s.Scale)]; ok {
					row = append(row, fmt.Sprintf("%.2f", v))
				} else {
					row = append(row, "")
				}
			}
			t.rows = append(t.rows, row)
		}
		out = append(out, t)
	}
	return out
}

// isCeiling reports whether a phase is some phase's ceiling.
func isCeiling(key string) bool {
	for _, s := range phaseSpecs {
		if s.ceiling == key {
			return true
		}
	}
	return false
}

func (m Machine) String() string {
	return fmt.Sprintf("%d cores (%s), %.1f GiB, %s, %s, nats-server %s, one synchronous 4 KiB write %.2f ms",
		m.Cores, m.CPU, m.MemoryGiB, m.OS, m.Go, m.NATSServer, m.FsyncMillis)
}

// WriteText writes the report as aligned text tables.
func WriteText(w io.Writer, rep Report) {
	fmt.Fprintf(w, "landrelease bench on %s; %s in all\n", rep.Machine, formatSeconds(rep.Seconds))
	for _, t := range benchTables(rep) {
		fmt.Fprintf(w, "\n%s\n", t.title)
		widths := make([]int, len(t.rows[0]))
		for _, r := range t.rows {
			for i, c := range r {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
		for _, r := range t.rows {
			var b strings.Builder
			for i, c := range r {
				pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
				if t.right[i] {
					b.WriteString(pad + c)
				} else {
					b.WriteString(c + pad)
				}
				b.WriteString("  ")
			}
			fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		}
	}
}

// writeMarkdown writes the report as Markdown tables.
func writeMarkdown(w io.Writer, rep Report) {
	fmt.Fprintf(w, "Measured %s on %s; the run took %s.\n", rep.Started.Format("2006-01-02 15:04 UTC"), rep.Machine, formatSeconds(rep.Seconds))
	for _, t := range benchTables(rep) {
		fmt.Fprintf(w, "\n**%s**\n\n", t.title)
		for i, r := range t.rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
			if i == 0 {
				seps := make([]string, len(r))
				for j := range r {
					seps[j] = "---"
					if t.right[j] {
						seps[j] = "--:"
					}
				}
				fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
			}
		}
	}
}

// formatSize is a phase's output size: MiB, the share of the store and
// the ratio to the ceiling's.
func formatSize(p Phase) string {
	if p.Bytes == 0 {
		return ""
	}
	out := formatMiB(p.Bytes)
	if p.OfStore > 0 {
		out += fmt.Sprintf(", %.2f of the store", p.OfStore)
	}
	if p.SizeRatio > 0 {
		out += fmt.Sprintf(", %.4f of the ceiling's", p.SizeRatio)
	}
	return out
}

func formatSeconds(s float64) string {
	switch {
	case s < 0.01:
		return fmt.Sprintf("%.2f ms", s*1000)
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1000)
	case s < 100:
		return fmt.Sprintf("%.2f s", s)
	default:
		return fmt.Sprintf("%.0f s", s)
	}
}

func formatCount(v float64, unit string) string { return thousands(v) + " " + unit }

// formatRate is units per second, or time per unit for work counted in
// loads and per-run figures for the queries.
func formatRate(p Phase) string {
	if p.Seconds == 0 {
		return ""
	}
	switch p.Unit {
	case "loads":
		return fmt.Sprintf("%s per load", formatSeconds(p.Seconds/p.Units))
	case "areas":
		return fmt.Sprintf("%.2f µs per area", p.Seconds/p.Units*1e6)
	case "trial-areas":
		return fmt.Sprintf("%.2f ns per trial-area", p.Seconds/p.Units*1e9)
	}
	return thousands(p.Rate) + " " + p.Unit + "/s"
}

// thousands formats v rounded, with comma separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", math.Round(v))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
