// Decodes the bytes of a `Character` cell by the MySQL character set named in it.
import iconv from 'iconv-lite';

export type BytesToText = (bytes: Buffer) => string;

const hex: BytesToText = (b) => b.toString('hex');
const utf8: BytesToText = (b) => b.toString('utf8');
const iconvDecoder =
  (encoding: string): BytesToText =>
  (b) =>
    iconv.decode(b, encoding);

// MySQL's latin1 is cp1252, except that the five bytes cp1252 leaves undefined map to the C1
// controls of the same code (iconv-lite gives U+FFFD). cp1252 is one UTF-16 unit per byte, so
// position i of the text is byte i.
const latin1: BytesToText = (b) => {
  const text = iconv.decode(b, 'cp1252');
  if (!text.includes('\uFFFD')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) out += text[i] === '\uFFFD' ? String.fromCharCode(b[i]!) : text[i];
  return out;
};

// UTF-8 via Buffer (faster), and the names iconv-lite lacks or reads differently from MySQL (its
// `ucs2`/`utf16` are little-endian or BOM-guessing, its `latin1`/`binary` are ISO-8859-1).
const MYSQL_CHARSETS = new Map<string, BytesToText>(
  Object.entries({
    binary: hex,
    utf8: utf8,
    utf8mb3: utf8,
    utf8mb4: utf8,
    latin1,
    ucs2: iconvDecoder('utf16be'),
    utf16: iconvDecoder('utf16be'),
    utf32: iconvDecoder('utf32be'),
    latin2: iconvDecoder('iso88592'),
    greek: iconvDecoder('iso88597'),
    hebrew: iconvDecoder('iso88598'),
    latin5: iconvDecoder('iso88599'),
    latin7: iconvDecoder('iso885913'),
    sjis: iconvDecoder('shiftjis'),
    ujis: iconvDecoder('eucjp'),
    eucjpms: iconvDecoder('eucjp'),
    macce: iconvDecoder('maccenteuro'),
  }),
);

const cache = new Map<string, BytesToText>();

/** The decoder for a MySQL charset name; hex for `binary` and for charsets iconv-lite lacks. */
export function charsetDecoder(charset: string): BytesToText {
  const name = charset.toLowerCase();
  let decode = cache.get(name);
  if (decode === undefined) {
    decode = MYSQL_CHARSETS.get(name) ?? (iconv.encodingExists(name) ? iconvDecoder(name) : hex);
    cache.set(name, decode);
  }
  return decode;
}
