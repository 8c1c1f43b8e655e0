package input

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Customer lists as people in each language write them: names, cities and a
// note, the header in the language too.
var languageSamples = map[string]string{
	"German": "Name;Stadt;Straße;Notiz\nJürgen Müller;München;Hauptstraße 5;Größe XL, bitte Rückruf\n" +
		"Änne Schäfer;Köln;Domplatz 1;Grüße an Frau Weiß\nUwe Öztürk;Düsseldorf;Kö 12;\nFritz Bäcker;Nürnberg;Lößweg 3;Überweisung folgt\n",
	"French": "Nom;Ville;Remarque\nFrançoise Lefèvre;Besançon;Très bien, déjà payé\nJérôme Gaëtan;Orléans;À rappeler après l’été\n" +
		"Hélène Noël;Nîmes;Cœur de métier : piqûre\nÉloïse Moreau;Saint-Étienne;où ça ?\n",
	"Swedish": "Namn;Stad;Anteckning\nÅsa Öberg;Göteborg;Ring före lunch\nKarl Åström;Malmö;Fått bekräftelse\n" +
		"Märta Ängström;Västerås;Betalt i förskott\nBjörn Ek;Jönköping;Öppet köp\nSjöö Ål;Örebro;Här\n",
	"Spanish":    "Nombre,Ciudad,Nota\nJosé Peña,La Coruña,¿Llamar mañana?\nBegoña Muñoz,Cádiz,¡Pagado!\nÁngel Núñez,Málaga,Pingüino\n",
	"Danish":     "Navn;By;Note\nSøren Ærø;Ålborg;Ønsker brev\nMette Sørensen;Århus;Blå æske\nJens Hjørring;Næstved;\n",
	"Icelandic":  "Nafn;Bær;Athugasemd\nÞórður Guðmundsson;Reykjavík;Áætlun\nGuðrún Jónsdóttir;Akureyri;Þakka þér\nBjörk Sigurðardóttir;Húsavík;Ýmislegt\n",
	"Portuguese": "Nome;Cidade;Nota\nJoão Gonçalves;São Paulo;Ações pendentes\nConceição Araújo;Ribeirão Preto;Não ligar\nLuís Magalhães;Braga;Pôr em espera\n",
	"Nordic": "Namn;Stad;Anteckning\nÞórður Guðmundsson;Reykjavík;Áætlun\nGuðrún Jónsdóttir;Akureyri;Þakka þér\n" +
		"Jürgen Müller;München;Grüße\nFrançoise Lefèvre;Besançon;Très bien\nÅsa Öberg;Göteborg;Ring före lunch\nSøren Ærø;Ålborg;Ønsker brev\n",
	"prices": "Item;Price;Note\nCoffee;€ 2,50;20°C\nTea;£1.20;©Acme® 2024\nCake;½ price;m² 3\nBun;1 000 kr;“quoted” — dash\n",

	"Greek": "Όνομα;Πόλη;Σημείωση\nΓιώργος Παπαδόπουλος;Αθήνα;Καλημέρα σας\nΜαρία Κωνσταντίνου;Θεσσαλονίκη;Πληρώθηκε\n" +
		"Νίκος Γεωργίου;Πάτρα;Τηλεφωνήστε αύριο\nΕλένη Δημητρίου;Ηράκλειο;Χρόνια πολλά\n",
	"Russian": "Имя;Город;Заметка\nИван Петров;Москва;Позвонить завтра\nОльга Смирнова;Санкт-Петербург;Оплачено\n" +
		"Дмитрий Кузнецов;Новосибирск;Счёт отправлен\nАнна Попова;Екатеринбург;Ждёт ответа\n",
	"Polish": "Imię;Nazwisko;Miasto;Uwagi\nŁukasz;Wójcik;Łódź;Zapłacił złotówkami\nMałgorzata;Kowalska;Wrocław;Prosi o kontakt\n" +
		"Paweł;Zieliński;Białystok;Jeżeli można, to jutro\nAgnieszka;Wiśniewska;Gdańsk;Są zaległości\n",
	"Turkish": "Ad;Soyad;Şehir;Not\nAhmet;Yılmaz;İstanbul;Ödeme yapıldı\nAyşe;Şahin;Eskişehir;Yarın aranacak\n" +
		"Mehmet;Doğan;Muğla;Güneş enerjisi\nFatma;Çelik;Gümüşhane;Teşekkürler\nMustafa;Öztürk;Diyarbakır;Kırmızı\n",
}

// TestEncodingDetection saves each sample in the code pages its language is
// written in: Windows-1252 text is read as such, any other is refused with a
// message that names --encoding, and reads right once --encoding names it.
func TestEncodingDetection(t *testing.T) {
	tests := []struct {
		lang   string
		enc    encoding.Encoding
		name   string // for --encoding
		is1252 bool
	}{
		{"German", charmap.Windows1252, "windows-1252", true},
		{"French", charmap.Windows1252, "windows-1252", true},
		{"Swedish", charmap.Windows1252, "windows-1252", true},
		{"Spanish", charmap.Windows1252, "windows-1252", true},
		{"Danish", charmap.Windows1252, "windows-1252", true},
		{"Icelandic", charmap.Windows1252, "windows-1252", true},
		{"Portuguese", charmap.Windows1252, "windows-1252", true},
		{"prices", charmap.Windows1252, "windows-1252", true},
		{"Nordic", charmap.Windows1252, "windows-1252", true},
		{"German", charmap.ISO8859_1, "iso-8859-1", true},
		{"German", charmap.ISO8859_15, "iso-8859-15", true},
		{"Swedish", charmap.Macintosh, "macintosh", false},
		{"German", charmap.CodePage850, "ibm850", false},
		{"German", charmap.Macintosh, "macintosh", false},
		{"French", charmap.Macintosh, "macintosh", false},
		{"Greek", charmap.ISO8859_7, "iso-8859-7", false},
		{"Greek", charmap.Windows1253, "windows-1253", false},
		{"Russian", charmap.Windows1251, "windows-1251", false},
		{"Russian", charmap.KOI8R, "koi8-r", false},
		{"Russian", charmap.ISO8859_5, "iso-8859-5", false},
		{"Russian", charmap.CodePage866, "ibm866", false},
		{"Polish", charmap.Windows1250, "windows-1250", false},
		{"Polish", charmap.ISO8859_2, "iso-8859-2", false},
		{"Turkish", charmap.Windows1254, "windows-1254", false},
		{"Turkish", charmap.ISO8859_9, "iso-8859-9", false},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" in "+tt.name, func(t *testing.T) {
			text := languageSamples[tt.lang]
			data, err := tt.enc.NewEncoder().Bytes([]byte(text))
			must(t, err)
			want := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
			p := writeFile(t, "customers.csv", data)

			r, recs, err := readAll(t, p, Options{})
			if tt.is1252 {
				if err != nil {
					t.Fatal(err)
				}
				checkText(t, r, recs, want)
			} else {
				checkFileError(t, err, p, "it does not read as Windows-1252 (Western European) text either")
				if !strings.Contains(err.Error(), "--encoding") {
					t.Errorf("the message does not name --encoding: %v", err)
				}
			}
			r, recs, err = readAll(t, p, Options{Encoding: tt.name})
			if err != nil {
				t.Fatal(err)
			}
			checkText(t, r, recs, want)
		})
	}
}

// checkText compares a reader's header and records with the lines of text
// they came from.
func checkText(t *testing.T, r Reader, recs []Record, lines []string) {
	t.Helper()
	sep := ";"
	if !strings.Contains(lines[0], sep) {
		sep = ","
	}
	if got := strings.Join(r.Header(), sep); got != lines[0] {
		t.Errorf("header %q, want %q", got, lines[0])
	}
	if len(recs) != len(lines)-1 {
		t.Fatalf("%d records, want %d", len(recs), len(lines)-1)
	}
	for i, rec := range recs {
		if rec.Err != nil {
			t.Errorf("row %d: %v", rec.Line, rec.Err)
		}
		if got := strings.Join(rec.Cells, sep); got != lines[i+1] {
			t.Errorf("row %d = %q, want %q", rec.Line, got, lines[i+1])
		}
	}
}

// TestMacExcelCSV: "CSV (Macintosh)" is Mac Roman with lines ending in CR
// alone; it is read as such without --encoding.
func TestMacExcelCSV(t *testing.T) {
	for _, lang := range []string{"German", "French", "Swedish", "Spanish"} {
		text := strings.ReplaceAll(strings.ReplaceAll(languageSamples[lang], "’", "'"), "\n", "\r")
		data, err := charmap.Macintosh.NewEncoder().Bytes([]byte(text))
		must(t, err)
		r, recs, err := readAll(t, writeFile(t, "mac.csv", data), Options{})
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		checkText(t, r, recs, strings.Split(strings.TrimSuffix(text, "\r"), "\r"))
	}
	// Windows-1252 text with CR alone still reads as Windows-1252.
	text := "Namn;Stad\rÅsa Öberg;Göteborg\rKalle;Malmö\r"
	data, err := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	must(t, err)
	r, recs, err := readAll(t, writeFile(t, "cr1252.csv", data), Options{})
	must(t, err)
	checkText(t, r, recs, strings.Split(strings.TrimSuffix(text, "\r"), "\r"))
}

func TestFits1252Words(t *testing.T) {
	tests := []struct {
		text string // UTF-8, saved in a code page
		enc  encoding.Encoding
		word string // the word the message shows; "" when the text fits
	}{
		{"Göteborg", charmap.Windows1252, ""},
		{"Καλημέρα", charmap.ISO8859_7, "ÊáëçìÝñá"},
		{"Привет", charmap.Windows1251, "Ïðèâåò"},
		{"złoty", charmap.Windows1250, "z³oty"},
		{"Łukasz", charmap.Windows1250, "£ukasz"},
		{"fűtő", charmap.Windows1250, "fûtõ"},
		{"Güneş", charmap.Windows1254, "Güneþ"},
		{"Дмитрий", charmap.CodePage866, "„¬¨âà¨©"},
		{"Настя", charmap.CodePage866, "byte 0x8D"},
	}
	for _, tt := range tests {
		b, err := tt.enc.NewEncoder().Bytes([]byte(tt.text))
		must(t, err)
		ok, word, _ := fits1252(b)
		if ok != (tt.word == "") || word != tt.word {
			t.Errorf("fits1252(%q) = %v, %q; want the word %q", tt.text, ok, word, tt.word)
		}
	}
}

func TestCheckEncoding(t *testing.T) {
	for _, name := range append(encodingNames, "latin1", "Windows-1252", "cp1252", "ISO_8859-7", "IBM850", "utf8", " macintosh ") {
		if err := CheckEncoding(name); err != nil {
			t.Errorf("CheckEncoding(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", "klingon", "iso-8859-99", "replacement"} {
		err := CheckEncoding(name)
		if err == nil || !strings.Contains(err.Error(), "windows-1252") || !strings.Contains(err.Error(), "iso-8859-7") {
			t.Errorf("CheckEncoding(%q) = %v, want an error listing the names", name, err)
		}
	}
	// iso-8859-1 is ISO 8859-1 itself, whose 0x80-0x9F are controls; the
	// WHATWG would make it Windows-1252.
	enc, _, err := lookupEncoding("iso-8859-1")
	if err != nil || enc != charmap.ISO8859_1 {
		t.Errorf("iso-8859-1 = %v, %v", enc, err)
	}
}

func TestChosenEncodingFileErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		enc  string
		want string
	}{
		{"unknown", "a\n1\n", "klingon", `unknown character set "klingon"`},
		{"a UTF-8 BOM against iso-8859-7", "\uFEFFa\n1\n", "iso-8859-7", "the file starts with the byte-order mark of UTF-8, but --encoding says iso-8859-7"},
		{"NUL bytes", "a\x00b\n1\n", "windows-1252", "not a text file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "e.csv", []byte(tt.data))
			_, err := Open(p, Options{Encoding: tt.enc})
			checkFileError(t, err, p, tt.want)
		})
	}
	p := writeWorkbook(t, workbookParts{sheets: []string{`<row r="1">` + is("A1", "a") + `</row><row r="2">` + is("A2", "1") + `</row>`}})
	_, err := Open(p, Options{Encoding: "iso-8859-7"})
	checkFileError(t, err, p, "--encoding iso-8859-7 was given, but an .xlsx workbook says its own character set")
}

// TestChosenEncodingRows: with --encoding, a byte the encoding has no
// character for makes its row invalid, and a BOM that agrees is skipped.
func TestChosenEncodingRows(t *testing.T) {
	// 0xAE is not a character in ISO 8859-7.
	_, recs, err := readAll(t, writeFile(t, "g.csv", []byte("a;b\n1;\xe1\xe2\n2;\xae\n")), Options{Encoding: "iso-8859-7"})
	must(t, err)
	checkRows(t, recs, []row{{2, []string{"1", "αβ"}, ""}, {3, []string{"2", "\uFFFD"}, `column "b" has a byte that is not a character in ISO-8859-7: check --encoding`}})

	r, recs, err := readAll(t, writeFile(t, "u.csv", []byte("\uFEFFa,b\n1,é\n")), Options{Encoding: "UTF-8"})
	must(t, err)
	if !equal(r.Header(), []string{"a", "b"}) {
		t.Errorf("header %q", r.Header())
	}
	checkRows(t, recs, []row{{2, []string{"1", "é"}, ""}})

	r, recs, err = readAll(t, writeFile(t, "w.txt", utf16LE(t, "a\tb\r\n1\t李\r\n")), Options{Encoding: "utf-16le"})
	must(t, err)
	if !equal(r.Header(), []string{"a", "b"}) {
		t.Errorf("header %q", r.Header())
	}
	checkRows(t, recs, []row{{2, []string{"1", "李"}, ""}})

	// ISO 8859-1 proper: 0x80-0x9F are C1 controls, refused like others.
	_, recs, err = readAll(t, writeFile(t, "l.csv", []byte("a,b\n1,\x93x\x94\n")), Options{Encoding: "iso-8859-1"})
	must(t, err)
	checkRows(t, recs, []row{{2, []string{"1", "\uFFFDx\uFFFD"}, `column "b" holds a control character (U+0093)`}})
	var fe *FileError
	if errors.As(err, &fe) {
		t.Fatal(fe)
	}
}
