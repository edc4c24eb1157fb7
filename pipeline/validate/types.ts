/**
 * The data validate's checks share (no logic and no imports, so every checker and index.ts depend on it one way:
 * index.ts runs the checkers, the checkers never import index.ts).
 */

type Obj = Record<string, unknown>;

export type ResultStatus = 'valid' | 'invalid' | 'skipped' | 'error';

export interface ValidationProblem {
  /** Dotted path inside the document, e.g. `spec.disruption.budgets[0]` ('' for the whole document). */
  readonly path: string;
  readonly message: string;
  /** The CEL rule for x-kubernetes-validations findings; `policy/<id>` for platform policy findings. */
  readonly rule?: string;
  /**
   * 'unevaluated' for a CEL rule that could not be evaluated (reported, never passed silently); 'warning' for a
   * policy set to warn (shown, does not make the document invalid). Absent = error.
   */
  readonly severity?: 'error' | 'unevaluated' | 'warning';
}

/** The outcome for one YAML document. */
export interface ValidationResult {
  /** File path relative to cwd. */
  readonly file: string;
  /** 1-based line where the document (or the YAML error) starts. */
  readonly line: number;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly status: ResultStatus;
  readonly problems: readonly ValidationProblem[];
  /** Rendered objects: the Argo CD Application whose Helm release renders them (file is then a virtual `rendered/…` path). */
  readonly application?: string;
}

export interface ValidationReport {
  readonly results: readonly ValidationResult[];
  readonly files: number;
  /**
   * parse: reading and parsing the YAML; render: the Helm releases (cached renders included); schemas: reading,
   * compiling or loading cached validators (part of load); load: kind scopes and schemas; decode: nulls as the
   * API server decodes them; cross: the cross-resource checks; check: schemas, CEL and policies per object; total: everything.
   */
  readonly timingsMs: {
    readonly parse?: number;
    readonly render?: number;
    readonly schemas: number;
    readonly load?: number;
    readonly decode?: number;
    readonly cross?: number;
    readonly check?: number;
    readonly total: number;
  };
  /** Validators compiled in this run vs loaded from the compiled cache (pipeline/check/compiled.ts). */
  readonly validators?: { readonly compiled: number; readonly cached: number };
  /** What was rendered: releases, objects, the helm used (when validate rendered them itself). */
  readonly rendered?: {
    readonly releases: number;
    readonly objects: number;
    /** Releases rendered twice for the determinism check; the others' charts and values call no varying function (render/chart-scan.ts). */
    readonly renderedTwice?: number;
    readonly helm?: string;
    readonly ms: number;
  };
}

/** A document as the cross-resource checks see it. */
export interface CrossDoc {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly obj: Obj;
  /** Rendered objects: the dist cluster folder they belong to (`dist/dev`); dist files derive it from their path. */
  readonly cluster?: string;
  /** Rendered objects: the Application whose Helm release rendered them. */
  readonly application?: string;
  /** Rendered objects: index in the release's `objects`. */
  readonly renderIndex?: number;
}

export type Scope = 'Cluster' | 'Namespaced';

/** Scope of a kind by `group/Kind` (core: `/Kind`); undefined when no API the cluster serves knows it. */
export type ScopeOf = (group: string, kind: string) => Scope | undefined;
