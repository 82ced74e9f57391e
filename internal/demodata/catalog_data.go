package demodata

// Name lists, space-separated ('_' is a space within a name).
const (
	englishMale = "James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew " +
		"Anthony Mark Steven Paul Andrew Joshua Oliver Harry Jack George Noah Liam Ethan Lucas"
	englishFemale = "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Emily Emma " +
		"Olivia Amelia Isla Sophie Charlotte Grace Chloe Hannah Megan Lauren Mary_Ann"
	englishLast = "Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Anderson Taylor Thomas " +
		"Moore Martin Jackson White Harris Clark Lewis Walker Hall Young King Wright Scott Green Baker " +
		"Evans Roberts Campbell O'Brien MacDonald Nguyen Patel"

	germanMale   = "Lukas Leon Maximilian Felix Jonas Paul Elias Finn Jürgen Stefan Andreas Thomas Michael Klaus"
	germanFemale = "Anna Lena Leonie Marie Sophie Hannah Julia Laura Katrin Sabine Ursula Mia Lea Jördis"
	germanLast   = "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch " +
		"Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Krüger Hartmann Lange Weiß"

	czechMale       = "Jan Jakub Tomáš Petr Lukáš Martin Josef Jiří Pavel Ondřej Vojtěch Michal Filip"
	czechFemale     = "Jana Eva Hana Anna Lenka Kateřina Lucie Petra Veronika Tereza Markéta Zuzana"
	czechLastMale   = "Novák Svoboda Novotný Dvořák Černý Procházka Kučera Veselý Horák Němec Marek Pokorný Král Růžička"
	czechLastFemale = "Nováková Svobodová Novotná Dvořáková Černá Procházková Kučerová Veselá Horáková Němcová " +
		"Marková Pokorná Králová Růžičková"

	frenchMale   = "Jean Pierre Louis Lucas Gabriel Hugo Arthur Jules Théo Nicolas François Étienne Jean-Paul"
	frenchFemale = "Marie Camille Léa Chloé Manon Inès Jade Louise Zoé Juliette Élodie Amélie Anne-Sophie"
	frenchLast   = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent " +
		"Lefèvre Michel Garcia Fournier Girard Bonnet Dupont Lambert"

	lithuanianMale     = "Jonas Lukas Matas Mantas Tomas Darius Andrius Paulius Mindaugas Vytautas Kęstutis"
	lithuanianFemale   = "Ona Rūta Eglė Gabija Austėja Indrė Ieva Greta Agnė Jurgita Lina"
	lithuanianLastMale = "Kazlauskas Jankauskas Petrauskas Stankevičius Vasiliauskas Žukauskas Butkus " +
		"Paulauskas Urbonas Kavaliauskas"
	lithuanianLastFemale = "Kazlauskienė Jankauskienė Petrauskienė Stankevičienė Vasiliauskienė Žukauskienė " +
		"Butkienė Paulauskienė Urbonienė Kavaliauskienė"
)

// countryTable lists the countries with their cities, postal code formats,
// telephone numbering and streets.
func countryTable(locales map[string]*locale) []country {
	const gbLetters, caLetters = "ABDEFGHJLNPQRSTUWXYZ", "ABCEGHJKLMNPRSTVWXYZ"
	return []country{
		{code: "US", name: "United States", weight: 30, dial: "+1", subscriber: 7, numberFirst: true, unit: "Apt",
			streets: []string{"Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Park Road", "Washington Street",
				"Lake View Drive", "Elm Street", "Pine Street", "Sunset Boulevard", "Church Road"},
			cities: []city{
				{"New York", "NY", "100##", "212"}, {"Los Angeles", "CA", "900##", "213"},
				{"Chicago", "IL", "606##", "312"}, {"Houston", "TX", "770##", "713"},
				{"Phoenix", "AZ", "850##", "602"}, {"Seattle", "WA", "981##", "206"},
				{"Boston", "MA", "021##", "617"}, {"Denver", "CO", "802##", "303"},
				{"Miami", "FL", "331##", "305"}, {"Austin", "TX", "787##", "512"},
			}, locale: locales["en"]},
		{code: "GB", name: "United Kingdom", weight: 15, dial: "+44", mobile: []string{"7"}, subscriber: 9,
			numberFirst: true, unit: "Flat", postalLetters: gbLetters,
			streets: []string{"High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
				"Manor Road", "Park Avenue", "Mill Lane", "King's Road"},
			cities: []city{
				{"London", "England", "SW# #AA", ""}, {"London", "England", "E# #AA", ""},
				{"Manchester", "England", "M# #AA", ""}, {"Birmingham", "England", "B# #AA", ""},
				{"Leeds", "England", "LS# #AA", ""}, {"Bristol", "England", "BS# #AA", ""},
				{"Glasgow", "Scotland", "G# #AA", ""}, {"Edinburgh", "Scotland", "EH# #AA", ""},
				{"Cardiff", "Wales", "CF# #AA", ""}, {"Belfast", "Northern Ireland", "BT# #AA", ""},
			}, locale: locales["en"]},
		{code: "DE", name: "Germany", weight: 15, dial: "+49", subscriber: 8,
			mobile: []string{"151", "152", "157", "160", "170", "171", "172", "175", "176", "177"},
			streets: []string{"Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße",
				"Bergstraße", "Birkenweg", "Lindenstraße", "Kirchstraße", "Goethestraße"},
			cities: []city{
				{"Berlin", "Berlin", "10###", ""}, {"Hamburg", "Hamburg", "20###", ""},
				{"München", "Bayern", "80###", ""}, {"Köln", "Nordrhein-Westfalen", "50###", ""},
				{"Frankfurt am Main", "Hessen", "60###", ""}, {"Stuttgart", "Baden-Württemberg", "70###", ""},
				{"Düsseldorf", "Nordrhein-Westfalen", "40###", ""}, {"Leipzig", "Sachsen", "04###", ""},
				{"Dresden", "Sachsen", "01###", ""},
			}, locale: locales["de"]},
		{code: "CZ", name: "Czechia", weight: 10, dial: "+420", subscriber: 7,
			mobile: []string{"60", "72", "73", "77"},
			streets: []string{"Vinohradská", "Národní", "Masarykova", "Husova", "Komenského", "Palackého",
				"Nádražní", "Školní", "Jiráskova", "Smetanova"},
			cities: []city{
				{"Praha", "Hlavní město Praha", "1## 00", ""}, {"Brno", "Jihomoravský kraj", "6## 00", ""},
				{"Ostrava", "Moravskoslezský kraj", "7## 00", ""}, {"Plzeň", "Plzeňský kraj", "3## 00", ""},
				{"Liberec", "Liberecký kraj", "460 0#", ""}, {"Olomouc", "Olomoucký kraj", "779 00", ""},
				{"České Budějovice", "Jihočeský kraj", "370 0#", ""},
				{"Hradec Králové", "Královéhradecký kraj", "500 0#", ""},
			}, locale: locales["cs"]},
		{code: "FR", name: "France", weight: 10, dial: "+33", mobile: []string{"6", "7"}, subscriber: 8,
			numberFirst: true,
			streets: []string{"Rue de la Paix", "Rue Victor Hugo", "Avenue des Champs-Élysées", "Rue de Rivoli",
				"Boulevard Saint-Germain", "Rue Nationale", "Rue de la République", "Avenue Jean Jaurès", "Rue Pasteur"},
			cities: []city{
				{"Paris", "Île-de-France", "750##", ""}, {"Marseille", "Provence-Alpes-Côte d'Azur", "130##", ""},
				{"Lyon", "Auvergne-Rhône-Alpes", "6900#", ""}, {"Toulouse", "Occitanie", "310##", ""},
				{"Nice", "Provence-Alpes-Côte d'Azur", "060##", ""}, {"Nantes", "Pays de la Loire", "440##", ""},
				{"Strasbourg", "Grand Est", "670##", ""}, {"Bordeaux", "Nouvelle-Aquitaine", "330##", ""},
				{"Lille", "Hauts-de-France", "590##", ""},
			}, locale: locales["fr"]},
		{code: "LT", name: "Lithuania", weight: 5, dial: "+370", mobile: []string{"6"}, subscriber: 7,
			streets: []string{"Gedimino pr.", "Laisvės al.", "Vilniaus g.", "Pylimo g.", "Savanorių pr.",
				"Konstitucijos pr.", "Ukmergės g.", "Taikos pr."},
			cities: []city{
				{"Vilnius", "Vilnius County", "LT-0####", ""}, {"Kaunas", "Kaunas County", "LT-4####", ""},
				{"Klaipėda", "Klaipėda County", "LT-9####", ""}, {"Šiauliai", "Šiauliai County", "LT-7####", ""},
				{"Panevėžys", "Panevėžys County", "LT-3####", ""},
			}, locale: locales["lt"]},
		{code: "CA", name: "Canada", weight: 8, dial: "+1", subscriber: 7, numberFirst: true, unit: "Apt",
			postalLetters: caLetters,
			streets: []string{"Yonge Street", "King Street West", "Rue Sainte-Catherine", "Granville Street",
				"Main Street", "Queen Street East", "Jasper Avenue", "Portage Avenue"},
			cities: []city{
				{"Toronto", "ON", "M#A #A#", "416"}, {"Montreal", "QC", "H#A #A#", "514"},
				{"Vancouver", "BC", "V#A #A#", "604"}, {"Calgary", "AB", "T#A #A#", "403"},
				{"Ottawa", "ON", "K#A #A#", "613"}, {"Edmonton", "AB", "T#A #A#", "780"},
				{"Winnipeg", "MB", "R#A #A#", "204"}, {"Halifax", "NS", "B#A #A#", "902"},
			}, locale: locales["ca"]},
		{code: "AU", name: "Australia", weight: 7, dial: "+61", mobile: []string{"4"}, subscriber: 8,
			numberFirst: true, unit: "Unit",
			streets: []string{"George Street", "Pitt Street", "Collins Street", "Queen Street", "Victoria Street",
				"Church Street", "Beach Road", "Bridge Road"},
			cities: []city{
				{"Sydney", "NSW", "20##", ""}, {"Melbourne", "VIC", "30##", ""}, {"Brisbane", "QLD", "40##", ""},
				{"Perth", "WA", "60##", ""}, {"Adelaide", "SA", "50##", ""}, {"Canberra", "ACT", "26##", ""},
				{"Hobart", "TAS", "70##", ""},
			}, locale: locales["en"]},
	}
}
