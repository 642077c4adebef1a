"""Bytes to text: encodings, BOMs, line endings, binary and empty input, delimiters."""

import codecs

import pytest

from pa_trade.errors import DataError
from pa_trade.textio import SourceFile, sniff_delimiter, split_lines


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("País;México\n".encode(), "UTF-8"),
        (codecs.BOM_UTF8 + "País;México\n".encode(), "UTF-8 with BOM"),
        ("País;México\n".encode("latin-1"), "Windows-1252"),
        ("País\tMéxico\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_encodings_decode_to_the_same_text(data, encoding):
    src = SourceFile("f.csv", data)
    assert src.encoding == encoding
    assert src.lines[0].replace("\t", ";") == "País;México"


def test_crlf_and_lone_cr_count_as_one_line_each():
    assert split_lines("a\r\nb\rc\n\nd") == ["a", "b", "c", "", "d"]


def test_latin1_next_line_byte_is_not_a_line_break():
    # 0x85 is '…' in Windows-1252 and a line break for str.splitlines()
    src = SourceFile("f.csv", b"Pa\x85s;1\nB;2\n")
    assert len(src.lines) == 2


@pytest.mark.parametrize("data, why", [(b"", "empty"), (b"  \n\n", "empty"),
                                        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
                                        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "binary")])
def test_empty_and_binary_input_fail_with_the_file_name(data, why):
    with pytest.raises(DataError, match=f"f.csv: .*{why}"):
        _ = SourceFile("f.csv", data).text


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_sniffed(delimiter):
    lines = [delimiter.join(["FECH", "PAIS", "FOBDOL"]), delimiter.join(["2203", "493", "1,5"])]
    assert sniff_delimiter(lines) == delimiter
