import './base.css';
import './dashboard.css';
import './workspace.css';
