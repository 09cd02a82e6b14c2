/**
 * The text of openapi.json, written directly in the layout prettier gives
 * it (parser `json`), without loading prettier: formatting a large document
 * with prettier costs more than everything else a pull does to it. Pure.
 *
 * The layout, for input that has every object expanded (as
 * `JSON.stringify(doc, null, 2)` does, and as prettier then keeps it):
 * - a non-empty object: one key per line;
 * - an array: on one line (`[a, b]`) if that fits the print width together
 *   with what precedes it on the line and a following comma; else one
 *   element per line, except arrays of numbers, which fill each line;
 *   always one per line when it holds objects, or two or more arrays that
 *   each hold two or more elements;
 * - numbers as JavaScript writes them, with `e+` shortened to `e`.
 *
 * Anything this module does not model (options other than the print width
 * and tab width, text whose display width is not its length) is left to
 * prettier, loaded only then.
 */
import type { Options as PrettierOptions } from "prettier";
import { DOCUMENT_FILE } from "./files.js";
import type { OpenApiDocument } from "./refs.js";

/**
 * Prettier options per output file, as resolved from the project's prettier
 * configuration (resolving reads files, so the shell does it and passes the
 * result in).
 */
export type PrettierOptionsByFile = Readonly<Record<string, PrettierOptions>>;

/**
 * The text of openapi.json for a document: what prettier (parser `json`)
 * makes of `JSON.stringify(doc, null, 2)`, so `prettier --check` accepts the
 * committed file as is. Indented, because prettier keeps an object expanded
 * when the input has a line break after `{`: one key per line makes a
 * pull's git diff point at the line that changed.
 */
export async function serializeDocument(
  doc: OpenApiDocument,
  prettierOptions: PrettierOptionsByFile,
): Promise<string> {
  const options = prettierOptions[DOCUMENT_FILE] ?? {};
  const direct = formatJsonLikePrettier(doc, options);
  if (direct !== undefined) return direct;
  const { format } = await import("prettier");
  return format(JSON.stringify(doc, null, 2), {
    ...options,
    filepath: DOCUMENT_FILE,
    parser: "json",
  });
}

/** Thrown inside the printer when the input leaves what it models. */
class Unsupported extends Error {}

/**
 * The document as prettier would format `JSON.stringify(value, null, 2)`, or
 * `undefined` when that cannot be told without prettier.
 */
export function formatJsonLikePrettier(
  value: unknown,
  options: PrettierOptions,
): string | undefined {
  if (
    options.useTabs === true ||
    (options.endOfLine !== undefined &&
      options.endOfLine !== "lf" &&
      options.endOfLine !== "auto") ||
    (options.objectWrap !== undefined && options.objectWrap !== "preserve")
  ) {
    return undefined;
  }
  const printer = new Printer(options.printWidth ?? 80, options.tabWidth ?? 2);
  try {
    printer.write(value, 0, 0, false);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  return `${printer.text()}\n`;
}

/** Prints into one list of pieces, joined once (nested strings would be copied at every level). */
class Printer {
  private readonly out: string[] = [];
  private readonly indents: string[] = [];

  constructor(
    private readonly width: number,
    private readonly tab: number,
  ) {}

  text(): string {
    return this.out.join("");
  }

  /**
   * Prints `value` at nesting `depth`, starting at column `column`;
   * `comma`: a comma follows it on the same line.
   */
  write(value: unknown, depth: number, column: number, comma: boolean): void {
    if (Array.isArray(value)) this.array(value, depth, column, comma);
    else if (typeof value === "object" && value !== null)
      this.object(value as Record<string, unknown>, depth);
    else this.out.push(scalar(value));
  }

  private object(value: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) {
      this.out.push("{}");
      return;
    }
    const inner = this.indent(depth + 1);
    this.out.push("{");
    keys.forEach((key, index) => {
      const prefix = `${JSON.stringify(key)}: `;
      const child = value[key];
      // Only an array's layout depends on where it starts.
      const start = Array.isArray(child)
        ? inner.length + this.textWidth(prefix)
        : 0;
      const comma = index < keys.length - 1;
      this.out.push("\n", inner, prefix);
      this.write(child, depth + 1, start, comma);
      if (comma) this.out.push(",");
    });
    this.out.push("\n", this.indent(depth), "}");
  }

  private array(
    items: readonly unknown[],
    depth: number,
    column: number,
    comma: boolean,
  ): void {
    if (items.length === 0) {
      this.out.push("[]");
      return;
    }
    const elements = items.map((item) => (item === undefined ? null : item));
    const flat = this.flatText(elements);
    if (
      flat !== undefined &&
      column + this.textWidth(flat) + (comma ? 1 : 0) <= this.width
    ) {
      this.out.push(flat);
      return;
    }
    const inner = this.indent(depth + 1);
    if (elements.length > 1 && elements.every((e) => typeof e === "number")) {
      this.out.push(
        "[\n",
        inner,
        this.fill(elements.map(scalar), inner.length),
        "\n",
        this.indent(depth),
        "]",
      );
      return;
    }
    this.out.push("[");
    elements.forEach((item, index) => {
      const more = index < elements.length - 1;
      this.out.push("\n", inner);
      this.write(item, depth + 1, inner.length, more);
      if (more) this.out.push(",");
    });
    this.out.push("\n", this.indent(depth), "]");
  }

  /** Numbers separated by ", ", a line break wherever the next would pass the width. */
  private fill(numbers: readonly string[], start: number): string {
    let text = "";
    let column = start;
    numbers.forEach((number, index) => {
      const last = index === numbers.length - 1;
      const item = last ? number : `${number},`;
      text += item;
      if (last) return;
      const next = numbers[index + 1] ?? "";
      const nextItem = index + 1 === numbers.length - 1 ? next : `${next},`;
      if (column + item.length + 1 + nextItem.length <= this.width) {
        text += " ";
        column += item.length + 1;
      } else {
        text += `\n${" ".repeat(start)}`;
        column = start;
      }
    });
    return text;
  }

  /** An array on one line; `undefined` if it or an element cannot be on one line. */
  private flatText(elements: readonly unknown[]): string | undefined {
    if (this.mustBreak(elements)) return undefined;
    const parts: string[] = [];
    for (const element of elements) {
      if (Array.isArray(element)) {
        if (element.length === 0) {
          parts.push("[]");
          continue;
        }
        const inner = this.flatText(
          element.map((e) => (e === undefined ? null : e)),
        );
        if (inner === undefined) return undefined;
        parts.push(inner);
      } else if (typeof element === "object" && element !== null) {
        parts.push("{}");
      } else {
        parts.push(scalar(element));
      }
    }
    return `[${parts.join(", ")}]`;
  }

  /** Prettier breaks an array of objects, and one of two or more arrays that each hold two or more elements. */
  private mustBreak(elements: readonly unknown[]): boolean {
    if (elements.some((e) => isNonEmptyObject(e))) return true;
    return (
      elements.length > 1 &&
      elements.every((e) => Array.isArray(e) && e.length > 1)
    );
  }

  private indent(depth: number): string {
    let indent = this.indents[depth];
    if (indent === undefined) {
      indent = " ".repeat(depth * this.tab);
      this.indents[depth] = indent;
    }
    return indent;
  }

  /** Display width; only printable ASCII is measured here (prettier counts wide and combining characters differently). */
  private textWidth(text: string): number {
    if (/[^\x20-\x7e]/.test(text)) throw new Unsupported();
    return text.length;
  }
}

function isNonEmptyObject(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).some((v) => v !== undefined)
  );
}

/** A string, number, boolean or null as prettier prints JSON.stringify's text of it. */
function scalar(value: unknown): string {
  if (typeof value === "number") {
    // JSON.stringify writes 1e+21; prettier prints numbers without the "+".
    return Number.isFinite(value) ? String(value).replace("e+", "e") : "null";
  }
  return JSON.stringify(value) ?? "null";
}
