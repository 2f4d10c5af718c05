package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// testInteractiveMap drives the map page (MapLibre GL JS over the server's
// vector tiles) as a user would: the Pailin map draws every Pailin area
// with a polygon, a status filter keeps the CHA ones, the zoom button and
// a drag move the view, and a click on an area opens a popup whose link
// lands on the area's page. Nothing is loaded from another origin (the
// page's problem catcher records CSP violations; open checks it).
func testInteractiveMap(t *testing.T, b *browser, api apiClient) {
	all, cha := api.withGeometry("Pailin"), 0
	var doc struct {
		Areas []struct {
			Geometry json.RawMessage `json:"geometry"`
		} `json:"areas"`
	}
	api.get("/api/v1/areas?limit=10000&province=Pailin&status=CHA", &doc)
	for _, a := range doc.Areas {
		if len(a.Geometry) > 0 && string(a.Geometry) != "null" {
			cha++
		}
	}
	if all == 0 || cha == 0 || cha == all {
		t.Fatalf("the demo's Pailin has %d areas with a polygon, %d of them CHA: the test needs some of each", all, cha)
	}
	b.open(t, "/map.html?province=Pailin", "#map[data-drawn]")
	b.wait(t, fmt.Sprintf(`document.querySelector("#map").dataset.drawn === "%d"`, all))
	if n := b.count(t, "#map canvas.maplibregl-canvas"); n != 1 {
		t.Fatalf("%d map canvases, want MapLibre's one", n)
	}
	b.screenshot(t, "map")

	// Filter: the status select and Show.
	b.do(t, chromedp.SetValue("#status-select", "CHA"))
	b.do(t, chromedp.Click("#filters button"))
	b.wait(t, fmt.Sprintf(`location.search.includes("status=CHA") && document.querySelector("#map").dataset.drawn === "%d"`, cha))

	// Zoom with the + button.
	z0 := evaluate[float64](t, b, `LRMap.getZoom()`)
	b.do(t, chromedp.Click(".maplibregl-ctrl-zoom-in"))
	b.wait(t, fmt.Sprintf(`LRMap.getZoom() > %f + 0.5 && !LRMap.isMoving()`, z0))

	// Pan: drag the map 200 px to the left.
	lng0 := evaluate[float64](t, b, `LRMap.getCenter().lng`)
	box := evaluate[[]float64](t, b, `(() => { const r = document.querySelector("#map canvas").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	x, y := box[0], box[1]
	b.do(t, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		mouse := func(kind input.DispatchMouseEventType, x float64, buttons int64) error {
			_, err := cdp.Call(ctx, tg, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: kind, X: x, Y: y,
				Button: input.MouseButtonLeft, Buttons: buttons, ClickCount: 1})
			return err
		}
		if err := mouse(input.DispatchMouseEventTypeMousePressed, x, 1); err != nil {
			return chromedp.Void{}, err
		}
		for i := 1; i <= 10; i++ {
			if err := mouse(input.DispatchMouseEventTypeMouseMoved, x-float64(20*i), 1); err != nil {
				return chromedp.Void{}, err
			}
		}
		return chromedp.Void{}, mouse(input.DispatchMouseEventTypeMouseReleased, x-200, 0)
	})
	b.wait(t, fmt.Sprintf(`LRMap.getCenter().lng > %f && !LRMap.isMoving()`, lng0))
	b.screenshot(t, "map-zoomed-panned")

	// Click an area: centre the map on one (zoomed in so that it is larger
	// than a click), click the middle of the canvas, follow the popup's link.
	evaluate[bool](t, b, `(() => {
		const f = LRMap.querySourceFeatures("areas", { sourceLayer: "areas", filter: ["==", ["get", "status"], "CHA"] })[0];
		const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
		let x = 0, y = 0; for (const [a, b] of ring.slice(1)) { x += a; y += b; }
		window.__clicked = f.properties.id;
		LRMap.jumpTo({ center: [x / (ring.length - 1), y / (ring.length - 1)], zoom: 16 });
		return true;
	})()`)
	b.wait(t, `LRMap.loaded() && !LRMap.isMoving() && LRMap.queryRenderedFeatures(LRMap.project(LRMap.getCenter()), { layers: ["areas-fill"] }).length > 0`)
	clicked := evaluate[string](t, b, `window.__clicked`)
	box = evaluate[[]float64](t, b, `(() => { const r = document.querySelector("#map canvas").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	b.do(t, chromedp.MouseClickXY(box[0], box[1]))
	b.wait(t, `document.querySelector(".maplibregl-popup a[data-area]") !== null`)
	href := b.attr(t, ".maplibregl-popup a[data-area]", "href")
	if !strings.HasPrefix(href, "/area.html?id=") {
		t.Fatalf("the popup links to %q, want an area page", href)
	}
	if got := b.attr(t, ".maplibregl-popup a[data-area]", "data-area"); got != clicked {
		t.Logf("clicked near %s, the popup is of %s (overlapping polygons)", clicked, got)
	}
	if foreign := evaluate[[]string](t, b, `performance.getEntriesByType("resource").map((e) => e.name).filter((u) => !u.startsWith(location.origin + "/"))`); len(foreign) > 0 {
		t.Errorf("the map loaded from elsewhere: %v", foreign)
	}
	b.screenshot(t, "map-popup")
	b.noProblems(t, "map")
	b.do(t, chromedp.Click(".maplibregl-popup a[data-area]"))
	b.wait(t, `location.pathname === "/area.html" && document.querySelector("svg.area-map, #map p.empty") !== null`)
	if got := evaluate[string](t, b, `location.pathname + location.search`); got != href {
		t.Errorf("landed on %s, want %s", got, href)
	}
	b.noProblems(t, "area page from the map")
}
