/**
 * The widgets' styles, put in the page once, however many widgets it shows.
 */
import charts from '../../style/charts.css';
import dashboard from '../../style/dashboard.css';

const ID = 'jp-LiveGraphs-widgetStyles';

export function addStyles(): void {
  if (document.getElementById(ID)) {
    return;
  }
  const style = document.createElement('style');
  style.id = ID;
  style.textContent = `${charts}\n${dashboard}`;
  document.head.appendChild(style);
}
