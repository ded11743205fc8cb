/**
 * RFC 4180 CSV, read and written. Shared by the labelled-folder CSV (layout.ts) and the per-case
 * table (csv-export.ts). Reading is lenient where spreadsheets differ (a UTF-8 byte-order mark, LF or
 * CRLF line ends, a missing final line end, `;` instead of `,` when the header says so) and strict
 * where a silent misreading would follow (an unclosed quote, text after a closing quote).
 */

/** Why a CSV text could not be read; `line` is 1-based, as a text editor shows it. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly problem: 'unclosed-quote' | 'text-after-quote',
  ) {
    super(
      `CSV line ${line}: ${problem === 'unclosed-quote' ? 'a quoted field is never closed' : 'text follows a closing quote'}`,
    );
    this.name = 'CsvSyntaxError';
  }
}

export interface CsvRow {
  /** 1-based line on which the row starts (a quoted field may span lines). */
  line: number;
  cells: string[];
}

/**
 * Rows of `text`. Blank lines are dropped (a trailing newline is not a row). The delimiter is `,`
 * unless the first line holds more `;` than `,` outside quotes (a spreadsheet in a comma-decimal
 * locale writes `;`).
 */
export function parseCsv(text: string): CsvRow[] {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const delimiter = sniffDelimiter(src);
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let afterQuote = false;
  let quoteLine = 1;
  const endRow = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
    afterQuote = false;
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === delimiter) {
      cells.push(cell);
      cell = '';
      afterQuote = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else if (afterQuote) {
      throw new CsvSyntaxError(line, 'text-after-quote');
    } else if (ch === '"' && cell === '') {
      quoted = true;
      quoteLine = line;
    } else {
      cell += ch;
    }
  }
  if (quoted) throw new CsvSyntaxError(quoteLine, 'unclosed-quote');
  if (cell !== '' || cells.length > 0 || afterQuote) endRow();
  return rows;
}

function sniffDelimiter(src: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of src) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** One field, quoted only when it must be (delimiter, quote, line break, or edge spaces). */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Rows as CSV text with CRLF line ends (RFC 4180), ending in a line end. */
export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(csvField).join(',') + '\r\n').join('');
}
