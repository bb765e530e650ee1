//go:build large

// Built only with -tags large (the "large" fixture variant): links in a big part
// of the standard library so the binary, its symbol table and its DWARF are
// several times those of the default build, for benchmarks that compare target
// sizes. Nothing here runs: the functions are referenced, never called. At
// startup only the imported packages' own initialisation runs, plus one pointer
// store below; memhog behaves exactly as the default build.

package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"debug/dwarf"
	"debug/elf"
	"encoding/json"
	"encoding/xml"
	"go/format"
	"go/parser"
	"go/printer"
	"go/types"
	"html/template"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/big"
	"net/http"
	"net/http/httputil"
	"net/mail"
	"net/rpc"
	"net/smtp"
	"regexp"
	texttemplate "text/template"
)

// largeLinked holds function and method values: the linker keeps each of them
// and everything it can reach. Statically initialised, so init allocates nothing.
var largeLinked = [...]interface{}{
	http.ListenAndServe, http.ListenAndServeTLS, http.Get, http.NewRequest, (*http.Client).Do, (*http.Transport).RoundTrip,
	httputil.DumpRequest, httputil.NewSingleHostReverseProxy,
	tls.Dial, tls.Listen, x509.ParseCertificate, (*x509.Certificate).Verify,
	json.Marshal, json.Unmarshal, xml.Marshal, xml.Unmarshal,
	texttemplate.New, (*texttemplate.Template).Parse, (*texttemplate.Template).Execute,
	template.New, (*template.Template).Parse, (*template.Template).Execute,
	sql.Open, (*sql.DB).Query, (*sql.DB).Exec,
	png.Decode, png.Encode, jpeg.Decode, jpeg.Encode, gif.DecodeAll, gif.EncodeAll,
	parser.ParseFile, printer.Fprint, format.Source, (*types.Config).Check,
	zip.OpenReader, zip.NewWriter, tar.NewReader, gzip.NewReader,
	elf.Open, (*elf.File).DWARF, (*dwarf.Data).Reader,
	rpc.Dial, rpc.NewServer, smtp.SendMail, mail.ReadMessage,
	regexp.Compile, (*big.Int).Exp, (*big.Float).Sqrt,
}

// largeLinkedRef keeps largeLinked itself reachable: the linker drops globals
// that no reachable code refers to.
var largeLinkedRef *[len(largeLinked)]interface{}

func init() { largeLinkedRef = &largeLinked }
