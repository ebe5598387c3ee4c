import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

/** A row of a binary message's byte layout table. */
export interface LayoutRowModel {
  readonly offset: string;
  readonly size: string;
  readonly name: string;
  readonly type: string;
  /** Values, limits and conditions a reader needs to parse the bytes; empty when there is nothing to add. */
  readonly notes: string;
}

/** A field leading every binary frame. */
export interface HeaderFieldModel {
  readonly name: string;
  readonly wire: string;
  /** `discriminator`, `correlation`, or empty. */
  readonly role: string;
  readonly description: string;
}

export interface MessageDocModel {
  readonly name: string;
  /** `client → server`, `server → client` or `client ↔ server`. */
  readonly direction: string;
  readonly description: string;
  /** What the server does with it, in a sentence; empty when only the server sends it. */
  readonly behavior: string;
  readonly fields: readonly {
    readonly name: string;
    readonly type: string;
    readonly wire: string;
    readonly description: string;
  }[];
  /** Text protocols: the line template. */
  readonly line: string | null;
  /** Binary protocols: the byte layout. */
  readonly layout: readonly LayoutRowModel[] | null;
}

/** Everything the package templates show; built by the generator from the IR. */
export interface PackageModel {
  readonly sockspecVersion: string;
  /** Spec path relative to the workspace root, e.g. `specs/echo.protocol.yaml`. */
  readonly sourceFile: string;
  readonly packageName: string;
  /** Range of the runtime packages in peerDependencies, e.g. `^0.1.0`. */
  readonly runtimeRange: string;
  readonly runtimePackages: readonly string[];
  /** Path from the package folder to the workspace's tsconfig.base.json. */
  readonly tsconfigBase: string;
  /** Path from the package folder to the workspace root, for links to the spec. */
  readonly rootPath: string;
  readonly protocol: {
    readonly name: string;
    /** PascalCase name used in the package's type names. */
    readonly title: string;
    readonly version: string;
    readonly description: string;
    readonly transports: readonly string[];
    readonly encoding: 'text' | 'binary';
    /** How frames are cut, in a sentence. */
    readonly framing: string;
  };
  /** Binary protocols: the fields leading every frame, in wire order. */
  readonly header: readonly HeaderFieldModel[];
  readonly quickStart: { readonly server: string; readonly client: string };
  readonly messages: readonly MessageDocModel[];
  readonly greeting: string | null;
  /** The server closes the connection right after the greeting. */
  readonly closeAfterGreeting: boolean;
  readonly idleTimeoutMs: number | null;
  readonly handlers: readonly string[];
  readonly clientMethods: readonly string[];
}

export interface PackageFile {
  readonly path: string;
  readonly content: string;
}

/** Template file → output path, in output order. */
const TEMPLATES: readonly { readonly template: string; readonly path: string; readonly json: boolean }[] = [
  { template: 'package.json.hbs', path: 'package.json', json: true },
  { template: 'README.md.hbs', path: 'README.md', json: false },
  { template: 'tsconfig.json.hbs', path: 'tsconfig.json', json: false },
  { template: 'tsconfig.build.json.hbs', path: 'tsconfig.build.json', json: false },
];

/** Where the .hbs files live; next to both src/ and dist/, so it works from either. */
export const TEMPLATES_DIR: URL = new URL('../templates/', import.meta.url);

const handlebars = Handlebars.create();
handlebars.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
handlebars.registerHelper('json', (value: unknown) => new handlebars.SafeString(JSON.stringify(value)));
// Table cells: a pipe would end the cell and a newline the row.
handlebars.registerHelper('cell', (value: unknown) =>
  String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' '),
);
handlebars.registerHelper('code', (value: unknown) => {
  const text = String(value ?? '');
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.includes('`') ? ` ${text} ` : text}${fence}`;
});

let compiled: Map<string, Handlebars.TemplateDelegate<PackageModel>> | null = null;

function templates(): Map<string, Handlebars.TemplateDelegate<PackageModel>> {
  if (compiled === null) {
    compiled = new Map(
      TEMPLATES.map(({ template }) => [
        template,
        // noEscape: these are JSON and Markdown files, not HTML; JSON strings go through the `json` helper.
        handlebars.compile<PackageModel>(readFileSync(new URL(template, TEMPLATES_DIR), 'utf8'), {
          noEscape: true,
          strict: true,
        }),
      ]),
    );
  }
  return compiled;
}

/**
 * Renders package.json, README.md, tsconfig.json and tsconfig.build.json of a
 * generated package. JSON output is parsed and re-serialised, so a template
 * mistake fails here rather than in the package manager, and the layout is
 * always the same.
 */
export function renderPackageFiles(model: PackageModel): PackageFile[] {
  const rendered = templates();
  return TEMPLATES.map(({ template, path, json }) => {
    const text = rendered.get(template)!(model);
    const content = json ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : `${text.trimEnd()}\n`;
    return { path, content };
  });
}
