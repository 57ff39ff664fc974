import './base.css';
import './dashboard.css';
import './workspace.css';
import './documents.css';
