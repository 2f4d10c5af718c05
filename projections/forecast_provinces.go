package projections

// DefaultCentroids places Cambodia's provinces for the "nearest" redeployment
// policy: the latitude and longitude of each provincial capital, rounded to
// a hundredth of a degree (a planning approximation, not survey data).
// Province names are the gazetteer's (domain.Provinces("KH")).
var DefaultCentroids = map[string][2]float64{
	"Banteay Meanchey": {13.59, 102.97},
	"Battambang":       {13.10, 103.20},
	"Kampong Cham":     {12.00, 105.46},
	"Kampong Chhnang":  {12.25, 104.67},
	"Kampong Speu":     {11.45, 104.52},
	"Kampong Thom":     {12.71, 104.89},
	"Kampot":           {10.61, 104.18},
	"Kandal":           {11.48, 104.95},
	"Kep":              {10.48, 104.32},
	"Koh Kong":         {11.62, 102.98},
	"Kratie":           {12.49, 106.02},
	"Mondulkiri":       {12.45, 107.19},
	"Oddar Meanchey":   {14.18, 103.52},
	"Pailin":           {12.85, 102.61},
	"Phnom Penh":       {11.56, 104.92},
	"Preah Sihanouk":   {10.63, 103.52},
	"Preah Vihear":     {13.81, 104.98},
	"Prey Veng":        {11.49, 105.33},
	"Pursat":           {12.54, 103.92},
	"Ratanakiri":       {13.74, 106.99},
	"Siem Reap":        {13.36, 103.86},
	"Stung Treng":      {13.52, 105.97},
	"Svay Rieng":       {11.09, 105.80},
	"Takeo":            {10.99, 104.78},
	"Tbong Khmum":      {11.92, 105.65},
}
