package bench

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// figure is one line of the table `make bench` prints: a measured value of the host
// beside its goal (issue 14) and beside baresip's for the same work (0: baresip does
// not do this work).
type figure struct {
	name, unit string
	host       float64
	goal       float64
	op         string // how host compares with goal: "≤" or "<"
	baresip    float64
}

var (
	figuresMu sync.Mutex
	figures   []figure
)

// record adds a figure to the table printed after the benchmarks.
func record(name, unit string, host, goal float64, op string, baresip float64) {
	figuresMu.Lock()
	defer figuresMu.Unlock()
	figures = append(figures, figure{name: name, unit: unit, host: host, goal: goal, op: op, baresip: baresip})
}

func (f figure) met() string {
	switch {
	case f.goal == 0:
		return ""
	case f.op == "<" && f.host < f.goal, f.op == "≤" && f.host <= f.goal:
		return "met"
	}
	return "missed"
}

func num(v float64) string {
	if v == 0 {
		return "–"
	}
	if v >= 100 || v <= -100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// printFigures prints the table and writes it as CSV into out/ (gitignored).
func printFigures() {
	figuresMu.Lock()
	defer figuresMu.Unlock()
	if len(figures) == 0 {
		return
	}
	host, _ := os.Hostname()
	fmt.Printf("\nTabphone host vs baresip, %s, %s/%s, %d CPUs (%s); medians of repeats\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Printf("%-44s %10s %10s %8s %10s %8s  %s\n", "figure", "host", "goal", "", "baresip", "host/b", "unit")
	rows := [][]string{{"figure", "unit", "host", "goal", "goal_met", "baresip", "host_over_baresip", "machine"}}
	for _, f := range figures {
		ratio := ""
		if f.baresip != 0 {
			ratio = strconv.FormatFloat(f.host/f.baresip, 'f', 2, 64)
		}
		goal := ""
		if f.goal != 0 {
			goal = f.op + " " + num(f.goal)
		}
		fmt.Printf("%-44s %10s %10s %8s %10s %8s  %s\n", f.name, num(f.host), goal, f.met(), num(f.baresip), ratio, f.unit)
		rows = append(rows, []string{f.name, f.unit, strconv.FormatFloat(f.host, 'g', 4, 64), goal, f.met(),
			strconv.FormatFloat(f.baresip, 'g', 4, 64), ratio, fmt.Sprintf("%s %d CPUs %s", host, runtime.NumCPU(), cpuModel())})
	}
	if err := os.MkdirAll("out", 0o755); err != nil {
		fmt.Println("bench: out/:", err)
		return
	}
	for _, name := range []string{"bench-" + time.Now().UTC().Format("20060102-150405") + ".csv", "latest.csv"} {
		f, err := os.Create(filepath.Join("out", name))
		if err != nil {
			fmt.Println("bench:", err)
			return
		}
		w := csv.NewWriter(f)
		_ = w.WriteAll(rows)
		f.Close()
	}
	fmt.Println("CSV: bench/out/latest.csv")
}

// cpuModel is the processor's name from /proc/cpuinfo.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
