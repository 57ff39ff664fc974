import { Widget } from '@lumino/widgets';

import { IRecipeStep, IVersion } from '../tokens';
import { el } from '../dom';

/**
 * The recipe of the current version: its steps in order, each undoable
 * (back to the version before it), and "Copy as code".
 */
export class RecipeView extends Widget {
  constructor(options: RecipeView.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-LiveGraphs-RecipeView');
    this.title.label = 'Recipe';
  }

  /**
   * Show `steps`, using `versions` to find each step's parent.
   */
  render(
    steps: ReadonlyArray<IRecipeStep>,
    versions: ReadonlyArray<IVersion>,
    editable = true
  ) {
    const parents = new Map(versions.map(v => [v.version, v.parent]));
    const copy = el(
      'button',
      'jp-Button jp-mod-styled jp-mod-accept',
      'Copy as code'
    );
    copy.type = 'button';
    copy.addEventListener('click', () => this._options.onCopyCode());
    const list = el('ol', 'jp-LiveGraphs-recipeSteps');
    list.setAttribute('aria-label', 'Recipe steps');
    const upload = el('li', 'jp-LiveGraphs-recipeStep');
    upload.append(el('span', 'jp-LiveGraphs-recipeText', 'Uploaded data'));
    list.appendChild(upload);
    steps.forEach(step => {
      const item = el('li', 'jp-LiveGraphs-recipeStep');
      item.dataset.version = String(step.version);
      const text = el('span', 'jp-LiveGraphs-recipeText', step.description);
      const op = el('span', 'jp-LiveGraphs-recipeOp', step.step.op);
      const undo = el(
        'button',
        'jp-Button jp-mod-styled jp-mod-reject',
        'Undo'
      );
      undo.type = 'button';
      undo.title = 'Go back to the version before this step';
      undo.setAttribute('aria-label', `Undo: ${step.description}`);
      const parent = parents.get(step.version) ?? null;
      undo.disabled = parent === null;
      undo.addEventListener('click', () => {
        if (parent !== null) {
          this._options.onUndo(parent);
        }
      });
      item.append(op, text);
      if (editable) {
        item.append(undo);
      }
      list.appendChild(item);
    });
    const empty = steps.length
      ? el('span')
      : el(
          'p',
          'jp-LiveGraphs-hint',
          'No cleaning steps yet: use the toolbar or a column header menu.'
        );
    this.node.replaceChildren(list, empty, copy);
  }

  private _options: RecipeView.IOptions;
}

/**
 * A namespace for `RecipeView` statics.
 */
export namespace RecipeView {
  /**
   * The options used to create a recipe view.
   */
  export interface IOptions {
    /**
     * Make `version` current again.
     */
    onUndo: (version: number) => void;

    /**
     * Copy the recipe as pandas code.
     */
    onCopyCode: () => void;
  }
}
