import { LabIcon } from '@jupyterlab/ui-components';

import datasetsSvgstr from '../style/icons/datasets.svg';

/**
 * The icon of the Datasets side panel.
 */
export const datasetsIcon = new LabIcon({
  name: 'livegraphs-ext:datasets',
  svgstr: datasetsSvgstr
});
