import { Widget } from '@lumino/widgets';

import { IProfile } from '../tokens';
import { el, formatValue, typeBadge } from '../dom';

/**
 * The profile of one column: counts, range, and a histogram or top values.
 */
export class ProfileView extends Widget {
  constructor() {
    super();
    this.addClass('jp-LiveGraphs-ProfileView');
    this.title.label = 'Profile';
    this.showHint('Select a column to see its profile.');
  }

  /**
   * Show a message instead of a profile.
   */
  showHint(text: string): void {
    this.node.replaceChildren(el('p', 'jp-LiveGraphs-hint', text));
  }

  /**
   * Show a profile.
   */
  render(profile: IProfile): void {
    const title = el('h3', 'jp-LiveGraphs-profileTitle');
    title.append(typeBadge(profile.type), el('span', '', profile.column));
    const stats = el('dl', 'jp-LiveGraphs-profileStats');
    const add = (label: string, value: unknown) => {
      stats.append(el('dt', '', label), el('dd', '', formatValue(value)));
    };
    add('Rows', profile.count.toLocaleString());
    add('Nulls', profile.nulls.toLocaleString());
    add('Distinct', profile.distinct.toLocaleString());
    if (profile.min !== null) {
      add('Min', profile.min);
      add('Max', profile.max);
    }
    if (profile.mean !== null) {
      add('Mean', Number(profile.mean.toPrecision(6)));
    }
    const parts: HTMLElement[] = [title, stats];
    if (profile.histogram.length) {
      parts.push(el('h4', 'jp-LiveGraphs-sectionTitle', 'Histogram'));
      const peak = Math.max(1, ...profile.histogram.map(b => b.count));
      const bars = el('div', 'jp-LiveGraphs-histogram');
      bars.setAttribute('role', 'img');
      bars.setAttribute(
        'aria-label',
        `Histogram of ${profile.column} in ${profile.histogram.length} bins`
      );
      for (const bin of profile.histogram) {
        const bar = el('div', 'jp-LiveGraphs-bar');
        bar.style.height = `${(100 * bin.count) / peak}%`;
        bar.title = `${Number(bin.start.toPrecision(4))} – ${Number(bin.end.toPrecision(4))}: ${bin.count}`;
        bars.appendChild(bar);
      }
      parts.push(bars);
    }
    if (profile.top.length) {
      parts.push(el('h4', 'jp-LiveGraphs-sectionTitle', 'Top values'));
      const peak = Math.max(1, ...profile.top.map(t => t.count));
      const list = el('ul', 'jp-LiveGraphs-topValues');
      for (const top of profile.top) {
        const item = el('li');
        const bar = el('span', 'jp-LiveGraphs-topBar');
        bar.style.width = `${(100 * top.count) / peak}%`;
        item.append(
          bar,
          el('span', 'jp-LiveGraphs-topValue', formatValue(top.value)),
          el('span', 'jp-LiveGraphs-num', top.count.toLocaleString())
        );
        list.appendChild(item);
      }
      parts.push(list);
    }
    this.node.replaceChildren(...parts);
  }
}
