import './base.css';
import './workspace.css';
