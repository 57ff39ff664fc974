import { IDataset } from '../tokens';

/**
 * Whether the caller may delete or share `dataset`: always on a laptop (no
 * `access`), else its owner and admins only.
 */
export function mayManage(dataset: IDataset | null | undefined): boolean {
  return (
    !dataset?.access || dataset.access === 'owner' || dataset.access === 'admin'
  );
}

/**
 * Whether the caller may change `dataset` (clean, revert, rename): anyone but a viewer.
 */
export function mayEdit(dataset: IDataset | null | undefined): boolean {
  return dataset?.access !== 'viewer';
}
